"""Writes of SLA configuration: a policy edit is a new version, never a change in place."""

from django.db import transaction
from django.db.models import Max

from .models import PolicyTarget, PolicyVersion, SLAPolicy
from .policy_forms import target_column


@transaction.atomic
def policy_version_create(*, policy, by, data):
    """Add the next version of `policy` from a valid PolicyVersionForm's cleaned data."""
    policy = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        sponsor_id=policy.sponsor_id,
        policy=policy,
        number=number,
        effective_from=data["effective_from"],
        calendar_kind=data["calendar_kind"],
        calendar=data.get("calendar") if data["calendar_kind"] == "sponsor" else None,
        source=data.get("source", ""),
        warning_lead_minutes=data.get("warning_lead"),
        escalation_steps=data["escalation_steps"],
        created_by=by,
    )
    PolicyTarget.objects.bulk_create(
        PolicyTarget(
            sponsor_id=policy.sponsor_id,
            version=version,
            category=category,
            priority=priority,
            **{target_column(kind): minutes for kind, minutes in values.items()},
        )
        for (category, priority), values in data["targets"].items()
    )
    return version


def _clear_default(sponsor_id):
    # Row by row, not QuerySet.update(): every change to the configuration is audited.
    for current in SLAPolicy.objects.select_for_update().filter(
        sponsor_id=sponsor_id, is_default=True
    ):
        current.is_default = False
        current.save(update_fields=["is_default"])


@transaction.atomic
def policy_create(*, sponsor, name, make_default):
    """A new policy; the sponsor's first one is its default."""
    if not SLAPolicy.objects.filter(sponsor=sponsor, is_default=True).exists():
        make_default = True
    if make_default:
        _clear_default(sponsor.pk)
    return SLAPolicy.objects.create(sponsor=sponsor, name=name, is_default=make_default)


@transaction.atomic
def policy_make_default(*, policy):
    _clear_default(policy.sponsor_id)
    policy.is_default = True
    policy.save(update_fields=["is_default"])
