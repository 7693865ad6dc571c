"""CSV downloads: one guard against formula injection and one response builder for every export."""

import csv
from itertools import chain

from django.http import HttpResponse, StreamingHttpResponse

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value for a CSV cell; text a spreadsheet would run as a formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_response(rows, filename, *, stream=False):
    """`rows` (iterables of cells) as a CSV attachment; `stream` for exports of any length."""
    writer = csv.writer(_Echo())
    # The byte-order mark makes Excel read the file as UTF-8 (CDMO names are not all ASCII).
    lines = chain(["\ufeff"], (writer.writerow([csv_cell(cell) for cell in row]) for row in rows))
    if stream:
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
