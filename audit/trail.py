"""Writing the audit trail: every write path leaves a version with actor, sponsor and time.

django-simple-history records `save()` and `delete()` (also `QuerySet.delete()`, which sends
the per-object signals) from model signals. This module closes what signals miss:
`QuerySet.update()`, `bulk_create()` and `bulk_update()` record one version per row here, and a
write no person made — a management command, a Celery task — is attributed to the named
process ("command:seed_demo", "task:sweep_sla") instead of to nobody. The only writes without
a version are the columns a model lists in `computed_fields` (kept out of its history), through
the named `update_computed()`.

The time of a version is never taken from the caller: on PostgreSQL a trigger stamps it with
the database clock (migration engagements 0005); elsewhere it is the server process's clock.

Who wrote a version is captured with it (VersionIdentity): the user's username and name as
they were at that moment, so renaming a user later changes no past "who"; and the system
process in a column of its own, which no display name or typed reason can imitate.
"""

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_process = ContextVar("audit_process", default="")
PROCESS_PREFIXES = ("command:", "task:")
BATCH = 500


@contextmanager
def system_actor(name):
    """Attribute the writes inside to a named system process instead of to a user."""
    if not name.startswith(PROCESS_PREFIXES):
        raise ValueError(f"A process name starts with one of {PROCESS_PREFIXES}: {name!r}")
    token = _process.set(name)
    try:
        yield name
    finally:
        _process.reset(token)


def current_process():
    """The system process writing now ("task:sweep_sla"), or "" when a person is."""
    return _process.get()


def split_reason(text):
    """(process, reason) from a `history_change_reason` written before versions had a process
    column, when the process was kept as a prefix ("task:sweep_sla: reason")."""
    text = text or ""
    if not text.startswith(PROCESS_PREFIXES):
        return "", text
    process, _, reason = text.partition(": ")
    return process, reason


class VersionIdentity(models.Model):
    """Columns of every version: who wrote it, as they were then.

    `history_user` still points at the account (for queries); these say what it was called at
    the time. `history_process` names the command or task that wrote, "" for a person.
    """

    history_username = models.CharField(max_length=150, blank=True, default="", db_default="")
    history_user_name = models.CharField(max_length=300, blank=True, default="", db_default="")
    history_process = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        abstract = True


def stamp_identity(version, user):
    """Fill a version's identity columns from the writing user and the current process."""
    version.history_process = current_process()
    if user is not None and version.history_process == "":
        version.history_username = user.get_username()[:150]
        version.history_user_name = user.get_full_name()[:300]


@receiver(pre_create_historical_record)
def _stamp_saved_version(sender, history_instance, history_user, **kwargs):
    if isinstance(history_instance, VersionIdentity):
        stamp_identity(history_instance, history_user)


class AuditedRecords(HistoricalRecords):
    """simple-history's HistoricalRecords, with server time only, the identity of the writer
    captured (VersionIdentity) and system actors named."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", [VersionIdentity])
        super().__init__(*args, **kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        # A save of untracked columns only (a sign-in's last_login) is no change to record.
        fields = kwargs.get("update_fields")
        if not created and fields and set(fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            sender._audited_records = self

    def create_historical_record(self, instance, history_type, using=None):
        # A caller-supplied time (simple-history's `_history_date`) is never believed.
        instance.__dict__.pop("_history_date", None)
        super().create_historical_record(instance, history_type, using=using)

    def get_history_user(self, instance):
        if current_process():
            return None
        return super().get_history_user(instance)

    def get_change_reason_for_object(self, instance, history_type, using):
        return super().get_change_reason_for_object(instance, history_type, using) or None


def record_versions(model, instances, history_type):
    """One version per instance (with its many-to-many sets), written in bulk."""
    instances = list(instances)
    if not instances:
        return []
    records = model._audited_records
    history = model.history.model
    versions = []
    for instance in instances:
        user = records.get_history_user(instance)
        version = history(
            history_date=timezone.now(),
            history_type=history_type,
            history_user=user,
            history_change_reason=records.get_change_reason_for_object(
                instance, history_type, None
            ),
            **{f.attname: getattr(instance, f.attname) for f in history.tracked_fields},
        )
        stamp_identity(version, user)
        versions.append(version)
    versions = history.objects.bulk_create(versions)
    _record_links(history, versions, instances)
    return versions


def _record_links(history, versions, instances):
    """The many-to-many sets of each version, as simple-history stores them on a save."""
    for field in history._history_m2m_fields:
        link_history = HistoricalRecords.m2m_models[field]
        through = field.remote_field.through
        own = field.m2m_field_name()
        links = defaultdict(list)
        for link in through.objects.filter(**{f"{own}__in": [i.pk for i in instances]}):
            links[getattr(link, f"{own}_id")].append(link)
        link_history.objects.bulk_create(
            link_history(
                history=version,
                **{f.attname: getattr(link, f.attname) for f in through._meta.fields},
            )
            for version, instance in zip(versions, instances, strict=True)
            for link in links[instance.pk]
        )


def _batches(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class AuditedQuerySet(models.QuerySet):
    """A queryset whose bulk writes leave one version per row, as save() and delete() do."""

    def update(self, **changes):
        """Update the rows and record each one's new state ("~"), under a row lock."""
        if self.query.is_sliced:
            raise TypeError("Cannot update a query once a slice has been taken.")
        ids = list(self.order_by().values_list("pk", flat=True))
        count = 0
        with transaction.atomic(using=self.db, savepoint=False):
            for batch in _batches(ids):
                # Locked first, so that the rows updated are exactly the rows recorded.
                rows = self._plain().filter(pk__in=batch).select_for_update()
                locked = list(rows.values_list("pk", flat=True))
                count += self._plain().filter(pk__in=locked).update(**changes)
                record_versions(self.model, self._plain().filter(pk__in=locked), "~")
        return count

    def update_computed(self, **changes):
        """Set columns the model computes (its `computed_fields`), which have no versions.

        The one named way to write without the trail; anything typed by a person is refused.
        """
        allowed = set(getattr(self.model, "computed_fields", ()))
        if not changes or set(changes) - allowed:
            raise ValueError(
                f"update_computed() only sets {sorted(allowed)} of {self.model.__name__}; "
                f"use update() for {sorted(set(changes) - allowed)}"
            )
        return super().update(**changes)

    def bulk_create(
        self,
        objs,
        batch_size=None,
        ignore_conflicts=False,
        update_conflicts=False,
        update_fields=None,
        unique_fields=None,
    ):
        """Insert the rows and record each one's first version ("+")."""
        if ignore_conflicts or update_conflicts:
            # Rows skipped or merged by the database come back without ids: nothing to record.
            raise ValueError("Audited rows cannot be bulk-created with conflict handling.")
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, batch_size=batch_size)
            record_versions(self.model, created, "+")
        return created

    def bulk_update(self, objs, fields, batch_size=None):
        """Update the rows and record each one's new state ("~"), read back from the table."""
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            # Django's bulk_update() runs through update(): on the plain queryset, so that each
            # row gets one version, not two.
            count = self._plain().bulk_update(objs, fields, batch_size=batch_size)
            # Read back: the instances given may carry only the fields being updated.
            for batch in _batches([obj.pk for obj in objs]):
                record_versions(self.model, self._plain().filter(pk__in=batch), "~")
        return count

    def record_versions(self):
        """Record each row's current state as a version ("~").

        For many-to-many links written in bulk through the link table, which sends no signal.
        """
        with transaction.atomic(using=self.db, savepoint=False):
            ids = list(self.order_by().values_list("pk", flat=True))
            for batch in _batches(ids):
                record_versions(self.model, self._plain().filter(pk__in=batch), "~")
        return len(ids)

    def _plain(self):
        return models.QuerySet(self.model, using=self.db)


class AuditedCommand(BaseCommand):
    """A management command whose writes the trail attributes to it ("command:seed_demo")."""

    def execute(self, *args, **options):
        with system_actor(f"command:{self.__module__.rsplit('.', 1)[-1]}"):
            return super().execute(*args, **options)


def latest_version_id(model, pk):
    """The id of the newest recorded version of a row (None before its first)."""
    return (
        model.history.filter(id=pk)
        .order_by("-history_date", "-history_id")
        .values_list("history_id", flat=True)
        .first()
    )


class ChangedMeanwhile(Exception):  # noqa: N818 - a condition the caller shows, not a fault
    """Someone saved the row after the editor loaded it: `versions` are the newer versions."""

    def __init__(self, versions):
        super().__init__("changed meanwhile")
        self.versions = versions


def ensure_unchanged(instance, seen_version):
    """Refuse a save over a version the editor never saw (a lost update), under a row lock.

    Call inside the saving transaction. `seen_version` is the latest version id when the form
    was rendered (kept in the form); None skips the check (a form without the field).
    """
    if seen_version is None:
        return
    model = type(instance)
    models.QuerySet(model).select_for_update().filter(pk=instance.pk).exists()
    versions = model.history.filter(id=instance.pk, history_id__gt=seen_version)
    if versions.exists():
        raise ChangedMeanwhile(list(versions.order_by("history_date", "history_id")))
