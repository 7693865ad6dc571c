"""A sponsor's sign-in rules are sponsor configuration: the model moves to engagements (its
0008, which relabels the content type and adds the audit trail). State only: the table
accounts_sponsorsecuritypolicy and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_sponsorsecuritypolicy'),
        ('engagements', '0007_invitations'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='SponsorSecurityPolicy')],
        ),
    ]
