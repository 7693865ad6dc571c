"""The search page: one box across the sponsor's CDMOs, projects, requests and communications."""

from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from cdmo_portal.htmx import is_partial

from . import search as finding
from .access import sponsor_view
from .forms import SearchForm


@sponsor_view()
@vary_on_headers("HX-Request")
def search(request):
    """Results grouped by kind, a few of each with a link to all of them; or one kind, paged.

    HTMX requests (typing in the box) get the results partial; the URL is pushed, so a search
    can be shared, bookmarked and restored.
    """
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    text, kind = data.get("q", ""), data.get("kind") or None
    groups = []
    if text:
        groups = finding.search(
            sponsor=request.sponsor, text=text, kind=kind, page=data.get("page") or 1
        )
    context = {
        "form": form,
        "query": text,
        "kind": kind,
        "groups": groups,
        "found": any(group.rows for group in groups),
        "search_query": text,
        "partial": is_partial(request),
    }
    template = "engagements/search.html"
    if context["partial"]:
        template += "#search-results"
    return render(request, template, context)
