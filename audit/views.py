"""The history page of one record and its CSV, for an app's view that has resolved the tenant.

The calling view owns tenancy (which sponsor, which models may be shown); this module owns
what an audit trail looks like, so every app's records read the same.
"""

from django.http import Http404
from django.shortcuts import render

from cdmo_portal.csv_export import csv_response

from . import history


def history_response(request, *, model, sponsor, pk, slug, record_url):
    """Every recorded version of `model` #pk of `sponsor` (a deleted one too), newest first.

    `?format=csv` downloads the same trail, one line per changed field. `record_url(version)`
    is where the record lives in the app, for the back link. 404 when it has no version.
    """
    entries = history.record_history(model=model, sponsor=sponsor, pk=pk)
    if not entries:
        raise Http404("Not found.")
    if request.GET.get("format") == "csv":
        return csv_response(history.history_rows(entries), f"{slug}-{pk}-audit-trail.csv")
    latest = model.history.filter(sponsor_id=sponsor.pk, id=pk).latest("history_date")
    context = {
        "entries": entries,
        "model_name": model._meta.verbose_name,
        "pk": pk,
        "title": history.record_title(model, latest),
        "is_deleted": latest.history_type == "-",
        "record_url": record_url(latest),
    }
    return render(request, "audit/history.html", context)
