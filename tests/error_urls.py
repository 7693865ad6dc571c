"""The portal's URLs plus one view that fails, to see the 500 page a user would get."""

from django.db import DatabaseError, InterfaceError, OperationalError
from django.urls import path

from cdmo_portal.urls import handler403, handler500, urlpatterns  # noqa: F401

SECRET_IN_ERROR = "SELECT password FROM accounts_user WHERE api_key = 'hunter2-leaked'"


def failing_view(request):
    raise DatabaseError(SECRET_IN_ERROR)


def database_down_view(request):
    raise OperationalError(f"connection refused: {SECRET_IN_ERROR}")


def connection_closed_view(request):
    raise InterfaceError("connection already closed")


urlpatterns = [
    *urlpatterns,
    path("boom/", failing_view),
    path("database-down/", database_down_view),
    path("connection-closed/", connection_closed_view),
]
