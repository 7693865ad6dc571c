"""The SLA terms now live in engagements (its 0006): drop them from this app's state.

State only; the content types (and so the admin permissions) follow the models.
"""

from django.db import migrations

MOVED = [
    "businesscalendar",
    "slapolicy",
    "policyversion",
    "policytarget",
    "historicalbusinesscalendar",
    "historicalslapolicy",
    "historicalpolicyversion",
    "historicalpolicytarget",
]


def _relabel(apps, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    # A fresh database has no content types yet (they are made after migrating).
    if not content_type.objects.filter(app_label=new, model__in=MOVED).exists():
        content_type.objects.filter(app_label=old, model__in=MOVED).update(app_label=new)


def move_content_types(apps, schema_editor):
    _relabel(apps, "scorecards", "engagements")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, "engagements", "scorecards")


class Migration(migrations.Migration):

    dependencies = [
        ('engagements', '0006_sla_terms_from_scorecards'),
        ('scorecards', '0003_history_reason_text'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are, with their data, names and audit triggers.
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalpolicyversion',
                    name='calendar',
                ),
                migrations.RemoveField(
                    model_name='policyversion',
                    name='calendar',
                ),
                migrations.RemoveField(
                    model_name='historicalbusinesscalendar',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalbusinesscalendar',
                    name='sponsor',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicytarget',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicytarget',
                    name='sponsor',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicytarget',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyversion',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyversion',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyversion',
                    name='policy',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyversion',
                    name='sponsor',
                ),
                migrations.RemoveField(
                    model_name='historicalslapolicy',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalslapolicy',
                    name='sponsor',
                ),
                migrations.RemoveField(
                    model_name='policytarget',
                    name='sponsor',
                ),
                migrations.RemoveField(
                    model_name='policytarget',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='policyversion',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='policyversion',
                    name='policy',
                ),
                migrations.RemoveField(
                    model_name='policyversion',
                    name='sponsor',
                ),
                migrations.RemoveField(
                    model_name='slapolicy',
                    name='sponsor',
                ),
                migrations.DeleteModel(
                    name='BusinessCalendar',
                ),
                migrations.DeleteModel(
                    name='HistoricalBusinessCalendar',
                ),
                migrations.DeleteModel(
                    name='HistoricalPolicyTarget',
                ),
                migrations.DeleteModel(
                    name='HistoricalPolicyVersion',
                ),
                migrations.DeleteModel(
                    name='HistoricalSLAPolicy',
                ),
                migrations.DeleteModel(
                    name='PolicyTarget',
                ),
                migrations.DeleteModel(
                    name='PolicyVersion',
                ),
                migrations.DeleteModel(
                    name='SLAPolicy',
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=False),
    ]
