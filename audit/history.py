"""Reading the audit trail: each recorded version of a record and what changed from the last.

Versions are written on every write path (audit.trail); `history_change_reason` keeps
the reason for a deletion or for an edit of a closed record. "Who" is read from what the
version captured (username and name at the time, or the system process, in columns of their
own); only versions written before those columns fall back to the account as it is now, and to
the process prefix their reason kept ("task:sweep_sla: ...").
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.formats import date_format

from .trail import split_reason

ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
HIDDEN_FIELDS = {"updated_at"}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:  # one version: when, what kind of change, by whom, why, and the fields
    at: object
    action: str
    actor: object
    reason: str
    process: str = ""  # the command or task that wrote, when no person did
    changes: list = field(default_factory=list)
    username: str = ""  # the writer's username and name when the version was written
    user_name: str = ""

    @property
    def is_system(self):
        return self.actor is None and not self.username

    @property
    def who(self):
        """A person as "Name (username)", as they were then; a process as "system (…)"."""
        if self.username:
            return f"{self.user_name} ({self.username})" if self.user_name else self.username
        if self.actor is not None:  # a version from before identities were captured
            name = self.actor.get_full_name()
            return f"{name} ({self.actor.username})" if name else self.actor.username
        return f"system ({self.process})" if self.process else "system"


def entry_for(version):
    """The who, when and why of one version (its fields are the caller's)."""
    process = getattr(version, "history_process", "")
    reason = version.history_change_reason or ""
    if not process and version.history_user_id is None:
        process, reason = split_reason(reason)  # written before the process column
    return HistoryEntry(
        at=version.history_date,
        action=ACTIONS.get(version.history_type, version.history_type),
        actor=version.history_user,
        reason=reason,
        process=process,
        username=getattr(version, "history_username", ""),
        user_name=getattr(version, "history_user_name", ""),
    )


class Names:
    """Readable names of the rows a record points at, one query per related model."""

    def __init__(self):
        self.cache = {}

    def __call__(self, related_model, ids):
        known = self.cache.setdefault(related_model, {})
        missing = {i for i in ids if i not in known}
        if missing:
            for row in related_model._base_manager.filter(pk__in=missing):
                known[row.pk] = _short_name(row)
        return [known.get(i, f"#{i} (deleted)") for i in ids]


def _short_name(row):
    for name in ("get_full_name", "subject", "name", "title", "code", "username"):
        value = getattr(row, name, None)
        value = value() if callable(value) else value
        if value:
            return str(value)
    return f"#{row.pk}"


def _display(model, name, value, names):
    if value is None or value == "" or value == []:
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.many_to_many:  # rows of the through table, as dicts
        own = model._meta.model_name
        ids = sorted(v for row in value for k, v in row.items() if k != own)
        return ", ".join(names(model_field.related_model, ids))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        return names(model_field.related_model, [value])[0]
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, list | dict):  # a JSON field: a calendar's week, escalation steps
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _initial_values(model, version, names):
    """What a record was created with: each field that was given a value."""
    changes = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in HIDDEN_FIELDS or model_field.name in {"id", "sponsor"}:
            continue
        value = getattr(version, model_field.attname, None)
        if value in (None, ""):
            continue
        changes.append(
            Change(model_field.verbose_name, "", _display(model, model_field.name, value, names))
        )
    return changes


def record_title(model, version):
    """A readable name for a record from one of its versions, without extra queries."""
    for name in ("subject", "title", "name", "code"):
        if hasattr(version, name):
            return getattr(version, name)
    return f"{model._meta.verbose_name} #{version.id}"


def record_history(*, model, sponsor, pk):
    """The versions of one record of `sponsor`, newest first; [] when it has none."""
    versions = list(
        model.history.filter(sponsor_id=sponsor.pk, id=pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    entries, names = [], Names()
    for newer, older in zip(versions, [*versions[1:], None][: len(versions)], strict=True):
        entry = entry_for(newer)
        if newer.history_type == "+":
            entry.changes = _initial_values(model, newer, names)
        elif older is not None and newer.history_type == "~":
            delta = newer.diff_against(older, foreign_keys_are_objs=False)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                entry.changes.append(
                    Change(
                        model._meta.get_field(change.field).verbose_name,
                        _display(model, change.field, change.old, names),
                        _display(model, change.field, change.new, names),
                    )
                )
        entries.append(entry)
    return entries


CSV_COLUMNS = ["when (UTC)", "who", "action", "field", "old", "new", "reason"]


def history_rows(entries):
    """The trail as CSV rows: a header, then one line per changed field (one per version
    without fields)."""
    yield CSV_COLUMNS
    for entry in entries:
        when = entry.at.astimezone(UTC).isoformat(timespec="seconds")
        head = [when, entry.who, entry.action]
        for change in entry.changes or [Change("", "", "")]:
            yield [*head, change.field, change.old, change.new, entry.reason]
