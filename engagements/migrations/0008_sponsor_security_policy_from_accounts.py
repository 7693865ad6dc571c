"""A sponsor's sign-in rules move here from accounts, and join the audit trail.

The model: state only, the table keeps its name (accounts_sponsorsecuritypolicy) and rows;
accounts 0003 has dropped it from that app's state first. Its content type (and so the admin
permissions) is relabelled. New: its history table, append-only like every audit table, and a
first version of each existing row, so that the trail starts from the rules as they are.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from audit.triggers import install_append_only, remove_append_only

MOVED = ["sponsorsecuritypolicy"]
BASELINE = "Sign-in rules as they were when they joined the audit trail"


def _relabel(apps, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    # A fresh database has no content types yet (they are made after migrating).
    if not content_type.objects.filter(app_label=new, model__in=MOVED).exists():
        content_type.objects.filter(app_label=old, model__in=MOVED).update(app_label=new)


def move_content_types(apps, schema_editor):
    _relabel(apps, "accounts", "engagements")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, "engagements", "accounts")


def record_first_versions(apps, schema_editor):
    policy = apps.get_model("engagements", "SponsorSecurityPolicy")
    history = apps.get_model("engagements", "HistoricalSponsorSecurityPolicy")
    history.objects.bulk_create(
        history(
            id=row.id,
            sponsor_id=row.sponsor_id,
            require_two_factor=row.require_two_factor,
            updated_at=row.updated_at,
            updated_by_id=row.updated_by_id,
            history_date=row.updated_at,  # replaced by the database clock (audit.triggers)
            history_type="+",
            history_change_reason=BASELINE,
        )
        for row in policy.objects.all()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('engagements', '0007_invitations'),
        ('accounts', '0003_sponsor_security_policy_to_engagements'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalSponsorSecurityPolicy',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('require_two_factor', models.BooleanField(default=False, help_text='Members must sign in with a code from an authenticator app.')),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sponsor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.sponsor')),
                ('updated_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical sponsor security policy',
                'verbose_name_plural': 'historical sponsor security policies',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.SeparateDatabaseAndState(
            # The table stays as it is, with its data and name.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='SponsorSecurityPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('require_two_factor', models.BooleanField(default=False, help_text='Members must sign in with a code from an authenticator app.')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('sponsor', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='security_policy', to='engagements.sponsor')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'sponsor security policies',
                        'db_table': 'accounts_sponsorsecuritypolicy',
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.RunPython(record_first_versions, migrations.RunPython.noop),
        migrations.RunPython(install_append_only, remove_append_only, elidable=False),
    ]
