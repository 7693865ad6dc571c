"""The semgrep rules in .semgrep/ stay true to the code: every tenant model is in the tenancy rule.

scripts/test runs the rules (and their own tests, `semgrep test .semgrep/`) and bandit; this
keeps the rule's model list from going stale when a model that carries a sponsor is added.
"""

import re
from pathlib import Path

from django.apps import apps

from engagements.models import Membership, Sponsor

RULE = Path(__file__).resolve().parent.parent / ".semgrep" / "tenancy.yml"


def tenant_models():
    """Models of our apps with a sponsor of their own (history copies and memberships aside).

    Membership is the access relation itself: engagements.access reads it by user and sponsor.
    """
    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in ("accounts", "engagements", "scorecards"):
            continue
        if model is Membership or model.__name__.startswith("Historical"):
            continue
        fields = {f.name: f for f in model._meta.concrete_fields}
        sponsor = fields.get("sponsor")
        if sponsor is not None and sponsor.is_relation and sponsor.related_model is Sponsor:
            found.add(model.__name__)
    return found


def test_the_tenancy_rule_names_every_model_that_carries_a_sponsor():
    regex = re.search(r"regex: \^\(([^)]*)\)\$", RULE.read_text()).group(1)
    in_rule = set(regex.split("|"))
    assert in_rule == tenant_models(), "update the model list in .semgrep/tenancy.yml"
    print(f"semgrep tenancy rule: {len(in_rule)} tenant models")
