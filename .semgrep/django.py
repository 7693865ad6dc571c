from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt


# ruleid: no-csrf-exempt
@csrf_exempt
def unsubscribe(request):
    # ruleid: no-mark-safe
    return mark_safe(request.GET["name"])


def escaped(request):
    # ok: no-mark-safe
    return format_html("<b>{}</b>", request.GET["name"])


def wrapped(request):
    # ruleid: no-mark-safe
    return SafeString(request.GET["name"])


def report(request):
    # ruleid: no-raw-sql-in-views
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # ruleid: no-raw-sql-in-views
    rows = Project.objects.raw("SELECT * FROM engagements_project")
    # ruleid: no-raw-sql-in-views
    Project.objects.annotate(n=RawSQL("SELECT 1", []))
    # ok: no-raw-sql-in-views
    return Project.objects.filter(sponsor=request.sponsor)
