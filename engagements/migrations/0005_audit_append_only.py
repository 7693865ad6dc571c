"""Make every audit (historical) table append-only on PostgreSQL (see audit.triggers)."""

from django.db import migrations

from audit.triggers import install_append_only, remove_append_only


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0004_audit_reasons_and_spoc"),
        ("scorecards", "0003_history_reason_text"),
    ]

    operations = [migrations.RunPython(install_append_only, remove_append_only, elidable=False)]
