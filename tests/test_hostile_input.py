"""Hostile input to every form and HTMX endpoint: never a 5xx, nothing written when refused.

The endpoint list is the tenancy crawl's (Django's resolver, so a new URL joins by itself), with
`request_action` once per action. Each endpoint's fields are read from the forms that post to
it (its own page, or the nearest page above it in the URL, e.g. a request's page for its status
actions), and hypothesis sends them, as a sponsor admin: arbitrary unicode, NUL bytes, 1 MB
strings, far-past and far-future dates (year 1, 9999, 0000-00-00), nonexistent local times,
unknown time zones, other tenants' ids, huge numbers, missing and duplicated fields, raw bodies
that are not forms; on GET the same values go into the query string. Most examples keep the
form valid but for one to three fields, so the refusals tested are the deep ones.

After every example: no 5xx; unless the answer is a success (a redirect or htmx's "logged"
event, with no error message) every table is exactly as before (sessions, django-axes' records
and the authenticator's throttle counter aside — they are written on purpose on a failed
attempt); after a success the page it leads to, and the background work it triggers (SLA
sweep, project figures), still answer without error. Each example runs in a savepoint that is
rolled back, so every one starts from the same rows.
"""

from collections import Counter
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import two_factor
from engagements.request_views import ACTIONS
from scorecards import activity, sweep

from .test_tenancy import GLOBAL_URLS, SPONSOR_URLS, _named_patterns
from .worlds import sponsor_world

POST_EXAMPLES = 12
GET_EXAMPLES = 5
# Written on purpose by a refused attempt: the session's last activity, django-axes' failure
# records, the authenticator's wrong-code counter (and the device the setup page creates).
BOOKKEEPING_APPS = {"sessions", "axes", "otp_totp"}
# Read by views straight from request.GET, beside the fields of the pages' filter forms.
QUERY_PARAMETERS = {"before", "hours", "mine", "state", "status", "next", "q", "period", "group"}
MEGABYTE = 1_000_000


def endpoints():
    """(URL name, action) for every named URL; request_action once per action."""
    found = []
    for _route, name in _named_patterns():
        assert name in SPONSOR_URLS or name in GLOBAL_URLS, f"unclassified URL {name}"
        if name == "request_action":
            found += [(name, action) for action in sorted(ACTIONS)]
        else:
            found.append((name, None))
    return found


ENDPOINTS = endpoints()


def endpoint_url(name, action, world):
    if name in GLOBAL_URLS:
        return reverse(name)
    kwargs = {"sponsor_slug": world["sponsor"].slug}
    for param, source in SPONSOR_URLS[name].items():
        if param == "model":
            kwargs[param] = source
        elif param == "action":
            kwargs[param] = action
        else:
            kwargs[param] = world[source].pk
    return reverse(name, kwargs=kwargs)


# Harvesting the forms ------------------------------------------------------------------------


class FormHarvester(HTMLParser):
    """The forms of one page (method, the paths they send to, their fields) and its links."""

    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms, self.links = [], []
        self._form = self._select = self._textarea = None

    def _path(self, url):
        return urlsplit(urljoin(self.page_url, url)).path

    def _field(self, name, kind, value):
        field = self._form["fields"].setdefault(name, {"type": kind, "values": []})
        if value is not None and value not in field["values"]:
            field["values"].append(value)

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        for key in ("href", "hx-get"):
            if a.get(key):
                self.links.append(urljoin(self.page_url, a[key]))
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "targets": {self._path(a.get("action", ""))}
                | {self._path(a[key]) for key in ("hx-post", "hx-get") if a.get(key)},
                "fields": {},
            }
        elif self._form is None:
            return
        elif tag in ("input", "button"):
            if a.get("formaction"):
                self._form["targets"].add(self._path(a["formaction"]))
            kind = a.get("type", "text" if tag == "input" else "submit")
            if a.get("name"):
                self._field(a["name"], kind, a.get("value"))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._field(self._select, "select", None)
        elif tag == "option" and self._select:
            self._field(self._select, "select", a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._field(self._textarea, "textarea", None)

    def handle_data(self, data):
        if self._textarea and data.strip():
            self._field(self._textarea, "textarea", data)

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def harvest(client, url):
    """The fields posted to `url` and the query parameters it is read with, from its pages.

    POST fields come from the forms that send to it: on its own page, or on the nearest page
    above it in the URL (a request's status actions live on the request's page).
    """
    path = urlsplit(url).path
    post, query = {}, {name: {"type": "text", "values": []} for name in QUERY_PARAMETERS}
    candidate = path
    while candidate:
        response = client.get(candidate)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            page = FormHarvester(candidate)
            page.feed(response.content.decode())
            for form in page.forms:
                if path in form["targets"]:
                    target = post if form["method"] == "post" else query
                    for name, field in form["fields"].items():
                        merged = target.setdefault(name, {"type": field["type"], "values": []})
                        merged["values"] += [
                            v for v in field["values"] if v not in merged["values"]
                        ]
            for link in page.links:
                if urlsplit(link).path == path:
                    for name, value in parse_qsl(urlsplit(link).query, keep_blank_values=True):
                        query.setdefault(name, {"type": "text", "values": []})["values"].append(
                            value
                        )
        if post or candidate == "/":
            break
        candidate = candidate.rstrip("/").rsplit("/", 1)[0] + "/"
    post.pop("csrfmiddlewaretoken", None)
    return post, query


# Values --------------------------------------------------------------------------------------

FAR_DATES = [
    "0001-01-01",
    "0001-01-01T00:00",
    "0001-01-01 00:00",
    "9999-12-31",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59",
    "0000-00-00",
    "0000-00-00T00:00",
    "1-1-1",
    "1900-01-01T00:00",
    "1969-12-31T23:59",
    "2026-02-30T10:00",
    "2026-13-01",
    "2026-03-29T02:30",  # does not exist in Berlin (DST gap)
    "2026-10-25T02:30",  # happens twice in Berlin
    "2026-01-01T24:00",
    "+002026-01-01",
    "2026-01-01T10:00+14:00",
    "yesterday",
]
TIME_ZONES = [
    "Mars/Olympus_Mons",
    "Etc/GMT+99",
    "Europe/Berlin\x00",
    " Europe/Berlin",
    "../../../etc/passwd",
    "localtime",
    "UTC",
    "Asia/Kolkata",
    "",
]
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "0",
    "-1",
    "1e309",
    "NaN",
    "-inf",
    "0x1F",
    "99999999999999999999999",
    "9" * 5000,
    "4h",
    "-4h",
    "0m",
    "1e400h",
    "99999999999d",
    "urgent resolution 1d; normal first_response 0h",
    "09:00-17:00",
    "17:00-09:00",
    "00:00-24:00",
    "25:61-26:00",
    "09:00-12:00, 11:00-17:00",
    "on",
    "true",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "\u202e\u0000\ufeff\U0001f9ea",
    "../" * 20,
    "x" * 201,
    "x" * 20001,
]
HUGE = ["x" * MEGABYTE, "é" * (MEGABYTE // 2), "\x00" * MEGABYTE, "9" * MEGABYTE]
# A request line longer than gunicorn's limit (4094 bytes) never reaches Django: 8 KB will do.
LONG = ["x" * 8192, "\x00" * 8192, "9" * 8192]

unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
nul_text = st.builds(lambda a, b: f"{a}\x00{b}", unicode_text, unicode_text)
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M")
)
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)


def hostile_values(ids, kind="text", huge=HUGE):
    """Anything, with more of what hurts a field of this kind: dates for dates, ids for choices."""
    anything = st.one_of(
        unicode_text,
        nul_text,
        st.sampled_from(ODD + FAR_DATES + TIME_ZONES),
        st.sampled_from(ids),
        numbers,
        datetimes,
        dates,
        st.sampled_from(huge),
    )
    if kind in ("date", "datetime-local"):
        return st.one_of(st.sampled_from(FAR_DATES), datetimes, dates, anything)
    if kind in ("select", "radio", "checkbox", "hidden"):
        return st.one_of(st.sampled_from(ids + TIME_ZONES), anything)
    return anything


def plausible(field):
    """What the form would accept for this field, ignoring the others: a list of value lists,
    the plainest first (a checkbox left unticked)."""
    now = timezone.localtime() - timedelta(hours=2)
    default = {
        "date": now.date().isoformat(),
        "datetime-local": now.strftime("%Y-%m-%dT%H:%M"),
        "email": "qa@cdmo.example",
        "number": "1",
        "checkbox": "on",
        "radio": "on",
        "password": "not-the-password",
        "url": "https://cdmo.example",
    }.get(field["type"], "Batch record 42")
    values = [[v] for v in field["values"] if v] or [[default]]
    return [[], *values] if field["type"] == "checkbox" else values


@st.composite
def field_values(draw, fields, ids, huge=HUGE):
    """name → list of values: most fields plausible, one to three hostile (missing, repeated)."""
    names = sorted(fields)
    everything = draw(st.integers(0, 5)) == 0
    chosen = (
        set(names)
        if everything or not names
        else draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(3, len(names))))
    )
    data = {}
    for name in names:
        if name in chosen:
            values = hostile_values(ids, fields[name]["type"], huge)
            data[name] = draw(st.lists(values, max_size=3))  # [] = missing, or repeated
        else:
            data[name] = draw(st.sampled_from(plausible(fields[name])))
    for name in draw(st.lists(unicode_text, max_size=2)):
        data.setdefault(name or "_", []).append(draw(hostile_values(ids, huge=huge)))
    return data


EXPLICIT_DATES = {
    "date": ["0001-01-01", "9999-12-31", "0000-00-00"],
    "datetime-local": [
        "0001-01-01T00:00",
        "0001-01-01T01:00",
        "9999-12-31T23:59",
        "0000-00-00T00:00",
    ],
}


def explicit_dates(fields):
    """Every date field at year 1, 9999 and 0000-00-00, the rest of the form plausible: always
    tried, whatever hypothesis draws."""
    plain = {name: plausible(field)[0] for name, field in fields.items()}
    return [
        {**plain, name: [value]}
        for name, field in sorted(fields.items())
        for value in EXPLICIT_DATES.get(field["type"], [])
    ]


htmx_headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_HX_REQUEST": st.just("true"),
        "HTTP_HX_TARGET": st.sampled_from(["project-facts", "timeline", "log-form", "\x00", ""]),
        "HTTP_HX_HISTORY_RESTORE_REQUEST": st.just("true"),
        "HTTP_HX_CURRENT_URL": st.sampled_from(["http://attacker.example/", "/\x00"]),
    },
)
RAW_CONTENT_TYPES = [
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain; charset=utf-16",
]


@st.composite
def post_requests(draw, fields, ids):
    """What one hostile POST sends: (body kind, data, headers)."""
    headers = draw(htmx_headers)
    kind = draw(st.sampled_from(["multipart", "urlencoded", "urlencoded", "multipart", "raw"]))
    if kind == "raw":
        body = draw(
            st.one_of(
                st.binary(max_size=300),
                st.just(b"--xyz\r\nContent-Disposition: form-data; name=\x00\r\n\r\n\xff\xfe"),
                st.just(b"a=%ff%fe&b=%00&c=%E2%82&" + b"&".join([b"d=1"] * 2000)),
            )
        )
        return kind, (body, draw(st.sampled_from(RAW_CONTENT_TYPES))), headers
    return kind, draw(field_values(fields, ids)), headers


@st.composite
def get_requests(draw, fields, ids):
    data = draw(field_values(fields, ids, huge=LONG))
    query = urlencode(data, doseq=True)
    query += draw(st.sampled_from(["", "&q=%ff%fe", "&%00=%00", "&before=%E2%82", "&&=&", "&a"]))
    return query, draw(htmx_headers)


# Checking ------------------------------------------------------------------------------------


def _fingerprinted_tables():
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in BOOKKEEPING_APPS and not model._meta.proxy
    )


def database_state():
    """Every row of every table but the bookkeeping ones, to prove a refusal wrote nothing.

    On PostgreSQL one query returns each table's row count and a hash of all its rows.
    """
    tables = _fingerprinted_tables()
    if connection.vendor != "postgresql":
        return {
            table: list(model._base_manager.order_by("pk").values_list())
            for model in apps.get_models(include_auto_created=True)
            if (table := model._meta.db_table) in tables
        }
    quote = connection.ops.quote_name
    # Table names from the models' own metadata, quoted: nothing typed by a client.
    sql = " UNION ALL ".join(
        f"SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608
        f" FROM {quote(table)} t"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def accepted(response):
    """Did the app take the input: a redirect or htmx's success event, and no error message?"""
    messages = list(getattr(response.wsgi_request, "_messages", []))
    if any(m.level >= message_levels.ERROR for m in messages):
        return False
    return (
        300 <= response.status_code < 400
        or "HX-Redirect" in response
        or "communication-logged" in response.get("HX-Trigger", "")
    )


def after_success(client, url, response):
    """What a success leads to: the page it sends the user to, and the background work."""
    target = response.get("Location") or response.get("HX-Redirect") or url
    if target.startswith("/"):
        follow = client.get(target)
        assert follow.status_code < 500, f"{target} answers {follow.status_code} after the write"
    sweep.run()
    for project_id in activity.stale_project_ids():
        activity.recompute(project_id)


class Rollback(Exception):
    """Raised at the end of an example so that its savepoint is rolled back."""


def run_example(client, cookies, before, send):
    """One request in a savepoint: no 5xx; a refusal writes nothing. Returns the status code."""
    client.cookies = SimpleCookie(cookies)
    status = None
    try:
        with transaction.atomic():
            url, response = send(client)
            status = response.status_code
            assert status < 500, f"{status} from {url}"
            if accepted(response):
                after_success(client, url, response)
            else:
                assert database_state() == before, f"{url} wrote on refused input ({status})"
            raise Rollback
    except Rollback:
        pass
    return status


# The world -----------------------------------------------------------------------------------


@pytest.fixture
def fuzz_world(sponsor, admin_user, manager, outsider_world):
    world = sponsor_world(sponsor, manager)
    sweep.run()  # settle the world's own clocks, so a success's sweep only sees its own write
    for project_id in activity.stale_project_ids():
        activity.recompute(project_id)
    own = [str(world[k].pk) for k in SPONSOR_IDS] + [str(admin_user.pk), str(manager.pk)]
    foreign = [str(outsider_world[k].pk) for k in SPONSOR_IDS] + [str(outsider_world["user"].pk)]
    return {**world, "admin": admin_user, "ids": own + foreign + ["0", "-1", "2147483648"]}


SPONSOR_IDS = ("cdmo", "site", "contact", "project", "request", "communication", "calendar")


def client_for(name, world):
    """A browser that reaches the endpoint's form, and its cookies to restore before each example.

    The sponsor admin for every page; sign-in as an anonymous visitor; the two-factor code and
    turn-off forms as the admin with a confirmed authenticator app, owing a code or past it.
    """
    # Exceptions propagate, so hypothesis shows the traceback of any 500 it finds.
    client = Client(raise_request_exception=True)
    if name == "login":
        return client, {}
    user = world["admin"]
    client.force_login(user)
    if name in ("two_factor_verify", "two_factor_disable"):
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        session = client.session
        if name == "two_factor_verify":
            session[two_factor.PENDING] = True
        else:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client, {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
    }


def _id(endpoint):
    name, action = endpoint
    return f"{name}:{action}" if action else name


# Fixed budgets, no example database: the module takes the same time on every run.
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large]


def send_post(url, kind, payload, headers):
    def send(client):
        if kind == "raw":
            body, content_type = payload
            return url, client.generic("POST", url, body, content_type, **headers)
        if kind == "urlencoded":
            body = urlencode(payload, doseq=True)
            content_type = "application/x-www-form-urlencoded"
            return url, client.post(url, body, content_type=content_type, **headers)
        return url, client.post(url, payload, **headers)

    return send


def send_get(url, query, headers):
    return lambda client: (f"{url}?{query}", client.get(f"{url}?{query}", **headers))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_it_survives_hostile_input(endpoint, fuzz_world):
    client, cookies = client_for(endpoint[0], fuzz_world)
    url = endpoint_url(*endpoint, fuzz_world)
    fields, query_fields = harvest(client, url)
    before = database_state()
    codes = {"POST": Counter(), "GET": Counter()}

    @hypothesis_settings(
        max_examples=POST_EXAMPLES, deadline=None, database=None, suppress_health_check=SUPPRESSED
    )
    @given(request=post_requests(fields, fuzz_world["ids"]))
    def hostile_post(request):
        codes["POST"][run_example(client, cookies, before, send_post(url, *request))] += 1

    @hypothesis_settings(
        max_examples=GET_EXAMPLES, deadline=None, database=None, suppress_health_check=SUPPRESSED
    )
    @given(request=get_requests(query_fields, fuzz_world["ids"]))
    def hostile_get(request):
        codes["GET"][run_example(client, cookies, before, send_get(url, *request))] += 1

    for data in explicit_dates(fields):
        hostile_post = example(request=("urlencoded", data, {}))(hostile_post)
    for data in explicit_dates(query_fields):
        hostile_get = example(request=(urlencode(data, doseq=True), {}))(hostile_get)
    hostile_post()
    hostile_get()
    for method, counter in codes.items():
        print(f"fuzz {method} {_id(endpoint)}: {sum(counter.values())} examples, {dict(counter)}")


def test_it_fuzzes_every_form_and_htmx_endpoint():
    """The figure for the README: endpoints × examples."""
    assert {name for name, _ in ENDPOINTS} == set(SPONSOR_URLS) | set(GLOBAL_URLS)
    posts, gets = len(ENDPOINTS) * POST_EXAMPLES, len(ENDPOINTS) * GET_EXAMPLES
    print(
        f"hostile input: {len(ENDPOINTS)} endpoints × ({POST_EXAMPLES} POST + {GET_EXAMPLES} GET)"
        f" examples = {posts + gets} requests, no 5xx, nothing written on refused input"
    )


# What the fuzzing found, pinned ----------------------------------------------------------------


def test_it_refuses_a_communication_dated_in_year_1_with_a_message(
    manager_client, sponsor, project
):
    """Year 1 in Berlin is 1 BC in UTC: PostgreSQL stored it, Python could not read it back (500
    on the project page) and the SLA sweep failed on the request it opened."""
    response = manager_client.post(
        reverse("project_detail", args=[sponsor.slug, project.pk]),
        {
            "channel": "email",
            "direction": "outbound",
            "occurred_at": "0001-01-01T00:00",
            "subject": "Batch record",
            "open_request": "on",
        },
    )
    assert response.status_code == 200
    assert "That time is before 2000; check the year." in response.content.decode()
    assert not project.communications.exists() and not project.requests.exists()


def test_it_refuses_a_status_change_dated_before_2000(manager_client, sponsor, open_request):
    url = reverse("request_action", args=[sponsor.slug, open_request.pk, "resolve"])
    response = manager_client.post(url, {"at": "0001-01-01T00:00"}, follow=True)
    assert "That time is before 2000" in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == "open"


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31"])
def test_it_refuses_timeline_filter_dates_outside_2000_to_2100(
    manager_client, sponsor, project, since
):
    """On SQLite (the demo) year 1 in the user's zone overflowed on its way to UTC: a 500."""
    url = reverse("project_detail", args=[sponsor.slug, project.pk])
    response = manager_client.get(url, {"since": since, "until": since})
    assert response.status_code == 200
    assert "Choose a date between 2000 and 2100." in response.content.decode()


@pytest.mark.parametrize("login", ["login", "admin:login"])
def test_it_answers_a_megabyte_username_like_any_wrong_sign_in(client, manager, login):
    """django-axes stored the typed username in a 255-character column: a 500 before
    AXES_USERNAME_CALLABLE cut it to the longest username an account can have."""
    response = client.post(reverse(login), {"username": "9" * MEGABYTE, "password": "x" * 12})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


@pytest.mark.parametrize("pk", [0, 2**31, 2**63, 10**30])
def test_it_answers_404_for_any_id_in_the_path(admin_client, sponsor, pk):
    answers = {}
    for name, params in SPONSOR_URLS.items():
        if not params:
            continue
        kwargs = {key: pk for key in params}
        kwargs.update({k: v for k, v in params.items() if k in ("model", "action")})
        url = reverse(name, kwargs={"sponsor_slug": sponsor.slug, **kwargs})
        answers[url] = (admin_client.get(url).status_code, admin_client.post(url).status_code)
    assert {url: codes for url, codes in answers.items() if codes != (404, 404)} == {}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
