"""The one test for "answer with a fragment": an HTMX request that is not a history restore."""


def is_partial(request):
    """True when the page should render only the fragment HTMX swaps.

    A history-restore request also carries HX-Request but needs the whole page (STYLE.md).
    """
    return bool(request.htmx) and not request.htmx.history_restore_request
