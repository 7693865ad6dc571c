"""Every version of this app's records keeps who wrote it, as they were then (audit.trail
VersionIdentity): username, name, or the system process. Versions written before keep "" there
(the audit tables refuse UPDATE, so they are not back-filled); audit.history reads them the
old way."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scorecards', '0004_sla_terms_to_engagements'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalbreach',
            name='history_process',
            field=models.CharField(blank=True, db_default='', default='', max_length=100),
        ),
        migrations.AddField(
            model_name='historicalbreach',
            name='history_user_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=300),
        ),
        migrations.AddField(
            model_name='historicalbreach',
            name='history_username',
            field=models.CharField(blank=True, db_default='', default='', max_length=150),
        ),
    ]
