"""The trail of the users themselves: changes to a person's name, e-mail, status and rights.

accounts.User lives below audit (accounts imports no app), so its history model is made here,
in the audit app, with simple-history's register(): the same AuditedRecords as every audited
model (server time, the writer's identity captured, append-only table, audit 0001). The
password hash and the time of the last sign-in are not kept: one is a secret, the other
changes at every sign-in.

Recorded: every save() and delete() of a user — the preferences page, Django's admin, an
invitation's new account. Not recorded: QuerySet.update() / bulk writes on users, since
accounts' manager cannot be audit's; our code makes none (tests.test_audit_trail checks).
"""

from django.contrib.auth import get_user_model
from simple_history import register

from .trail import AuditedRecords

register(
    get_user_model(),
    app="audit",
    records_class=AuditedRecords,
    excluded_fields=["password", "last_login"],
)
