"""Benchmark of "finding things" at SPEC §6's data set: the search box and the CDMO timeline.

    DATABASE_URL=postgres://…/<a database of your own> .venv/bin/python scripts/bench_finding.py

1. Migrates the database, then loads once (and reuses) a sponsor "bench-finding" of 50 CDMOs,
   1,000 projects, 200,000 requests and 1,000,000 communications with generated English-like
   text: a few dozen domain words common to many messages, a long tail of rarer ones. The
   bulk rows go in with COPY and without audit versions — fine for a throwaway benchmark
   database, never done by the application. Projects are spread unevenly over CDMOs and
   communications over projects, so CDMOs range from a large share of the log to a sliver.
2. EXPLAIN (ANALYZE, BUFFERS) of every SQL query of the search (rows and capped count of each
   kind) for words from common to absent, and of the CDMO timeline's first and second pages
   for the largest and the smallest CDMO, with and without filters: execution time and the
   head of each plan.
3. The whole pages through Django's test client with DEBUG off (session, membership, every
   query, templates): median and p95 of 30 requests each, and their number of SQL queries.

Refuses to run on anything but PostgreSQL, or with DEBUG on.
"""

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdmo_portal.settings.local")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.db.models import Count, Window  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from engagements import search, selectors  # noqa: E402
from engagements.models import CDMO, Membership, Project, Role, Sponsor  # noqa: E402

SLUG = "bench-finding"
CDMOS, PROJECTS, REQUESTS, COMMUNICATIONS = 50, 1_000, 200_000, 1_000_000
BATCH = 100_000
RUNS = 30

COMMON = """batch record lot release please update schedule review data report stability
deviation quality shipment sample analytical method transfer timeline meeting agenda minutes
invoice quote capacity slot campaign yield purity specification protocol validation audit capa
change control document coa cell bank media buffer resin column filter fill vial label cold
chain regulatory filing process development scale bioreactor harvest titer chromatography
endotoxin bioburden sterility potency assay impurity comparability""".split()  # noqa: SIM905
FILLER = """the a of to and in for on with we you they is are was will can our your this that
by from at as be have has not it an or if all next week today tomorrow attached see
below""".split()  # noqa: SIM905
SYLLABLES = "ka lo mi ne ru sa ti vo pe da fu gi ho ja ke li mo nu pa re si tu ve wa zo".split()  # noqa: SIM905
SUBJECTS = [
    "{a} for lot {n}",
    "Re: {a} {b}",
    "{a} {b} — please review",
    "Weekly call: {a} and {b}",
    "Question on {a}",
    "Updated {a} {b}",
    "Fw: {a} {b} {c}",
]


def tail_words(rng, count):
    """Made-up words for the long tail: each one rare, together most of the vocabulary."""
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def vocabulary(rng):
    """(words, cumulative weights): Zipf over the domain words, then the long tail."""
    words = COMMON + tail_words(rng, 6000)
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 8)
        cumulative.append(total)
    return words, cumulative


def load():
    sponsor = Sponsor.objects.filter(slug=SLUG).first()
    if sponsor is not None:
        print(f"reusing the data set of sponsor {SLUG}")
        return sponsor
    rng = random.Random(15)
    started = time.perf_counter()
    with transaction.atomic():
        sponsor = Sponsor.objects.create(name="Bench Finding Bio", slug=SLUG)
        owner, _ = User.objects.get_or_create(username="bench-finding-pm")
        Membership.objects.create(user=owner, sponsor=sponsor, role=Role.MANAGER)
        names = ["Lonza Biologics", "Samsung Biologics", "WuXi Biologics", "Catalent Pharma"]
        names += [f"{rng.choice(COMMON).title()} {w.title()} Bio" for w in tail_words(rng, 46)]
        cdmos = CDMO.objects.bulk_create(CDMO(sponsor=sponsor, name=name) for name in names)
        # Projects over CDMOs and communications over projects: a few big, a long small tail.
        cdmo_weights = [1 / (c + 1) ** 0.9 for c in range(CDMOS)]
        project_names = tail_words(rng, 200)
        projects = Project.objects.bulk_create(
            Project(
                sponsor=sponsor,
                cdmo=rng.choices(cdmos, cdmo_weights)[0],
                name=f"{rng.choice(COMMON).title()} {rng.choice(project_names).title()}",
                code=f"BF-{i:04d}",
                service_type="analytical",
                owner=owner,
            )
            for i in range(PROJECTS)
        )
    print(f"sponsor, {CDMOS} CDMOs, {PROJECTS} projects: {time.perf_counter() - started:.0f} s")
    project_weights = [1 / (p + 20) ** 0.8 for p in range(PROJECTS)]
    words, cumulative = vocabulary(rng)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    span = 3 * 365 * 24 * 60

    def subject():
        a, b, c = rng.choices(words, cum_weights=cumulative, k=3)
        return rng.choice(SUBJECTS).format(a=a.title(), b=b, c=c, n=rng.randint(1, 999))

    def summary():
        picked = rng.choices(words, cum_weights=cumulative, k=rng.randint(15, 90))
        return " ".join(rng.choice(FILLER) if rng.random() < 0.35 else w for w in picked)

    def request_row():
        project = rng.choices(projects, project_weights)[0]
        opened = now - timedelta(minutes=rng.randint(0, span))
        status = rng.choice(["resolved"] * 6 + ["open", "cancelled"])
        return (
            sponsor.pk, project.pk, subject(), "question", "normal", status, opened,
            owner.pk, False, "{}", False, "", opened,
        )  # fmt: skip

    def communication_row():
        project = rng.choices(projects, project_weights)[0]
        at = now - timedelta(minutes=rng.randint(0, span))
        return (
            sponsor.pk, project.pk, project.cdmo_id, rng.choice(["email", "call", "meeting"]),
            rng.choice(["outbound", "inbound"]), at, subject(), summary(), False, owner.pk,
            at, at,
        )  # fmt: skip

    tables = [
        (
            "engagements_request",
            "sponsor_id, project_id, title, category, priority, status, opened_at, "
            "opened_by_id, raised_by_cdmo, calendar_snapshot, clocks_stale, "
            "clocks_fingerprint, created_at",
            REQUESTS,
            request_row,
        ),
        (
            "engagements_communication",
            "sponsor_id, project_id, cdmo_id, channel, direction, occurred_at, subject, "
            "summary, needs_response, logged_by_id, logged_at, updated_at",
            COMMUNICATIONS,
            communication_row,
        ),
    ]
    for table, columns, total, row in tables:
        started = time.perf_counter()
        for done in range(0, total, BATCH):
            statement = f"COPY {table} ({columns}) FROM STDIN"
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(statement) as copy,
            ):
                for _ in range(min(BATCH, total - done)):
                    copy.write_row(row())
            print(f"  {table}: {done + BATCH:>9,} rows, {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return sponsor


def explain(queryset):
    """(execution ms, plan lines) of the queryset's SQL, run for real."""
    sql, params = queryset.query.sql_with_params()
    return explain_sql(sql, params)


def explain_sql(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    execution = next(float(line.split()[2]) for line in lines if line.startswith("Execution"))
    return execution, lines


def plan_head(lines, depth=3):
    nodes = [line.strip() for line in lines if "->" in line or not line.startswith(" ")]
    return " / ".join(node.split("  (")[0].lstrip("-> ") for node in nodes[:depth])


def words_by_frequency():
    """A word of the data in ~1 % of communications and one in ~0.01 % (from a 2 % sample)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('english', "
            "COALESCE(subject, '') || ' ' || COALESCE(summary, '')) "
            "FROM engagements_communication WHERE id % 50 = 0$$)"
        )
        stats = cursor.fetchall()
    sampled = COMMUNICATIONS / 50
    mid = min(stats, key=lambda s: abs(s[1] / sampled - 0.01))
    rare = min(stats, key=lambda s: abs(s[1] / sampled - 0.0001))
    return mid[0], rare[0]


def search_figures(sponsor):
    mid, rare = words_by_frequency()
    terms = {
        "common word": "batch",
        "two common words": "stability report",
        "word in ~1 %": mid,
        "word in ~0.01 %": rare,
        "phrase": '"batch record"',
        "absent word": "zebrafish",
        "stop words only": "the of",
        "CDMO name with a typo": "Lonsa",
        "project code": "BF-0042",
    }
    rows = []
    for label, text in terms.items():
        total = 0.0
        for kind in search.KINDS:
            matches = search._matches(kind, sponsor, text)
            if kind in search.NAMED_KINDS:  # rows and count in one query, as search() asks
                ms, lines = explain(matches.annotate(total=Window(Count("pk")))[: search.PREVIEW])
                total += ms
                rows.append((f"search “{text}” ({label}): {kind}, counted", ms, plan_head(lines)))
                continue
            ms, lines = explain(matches[: search.PREVIEW + 1])
            count_ms, _ = explain(matches.order_by()[: search.COUNT_CAP + 1].values("pk"))
            total += ms + count_ms
            rows.append((f"search “{text}” ({label}): {kind}", ms, plan_head(lines)))
            rows.append(("    its capped count", count_ms, ""))
        rows.append((f"search “{text}”: all 6 queries", total, ""))
    return rows


def timeline_figures(sponsor):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cdmo_id, count(*) FROM engagements_communication WHERE sponsor_id = %s "
            "GROUP BY cdmo_id ORDER BY count(*) DESC",
            [sponsor.pk],
        )
        sizes = cursor.fetchall()
    rows = []
    for label, (cdmo_id, size) in [("largest", sizes[0]), ("smallest", sizes[-1])]:
        cdmo = CDMO.objects.get(sponsor=sponsor, pk=cdmo_id)
        for filters in (
            {},
            {"direction": "inbound", "channel": "call"},
            {"q": "batch"},
            {"q": "zebrafish"},
        ):
            name = f"CDMO timeline, {label} CDMO ({size:,}), {filters or 'no filter'}"
            before = None
            for page in ("page 1", "page 2"):
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    _, next_cursor = selectors.communication_timeline(
                        sponsor=sponsor, cdmo=cdmo, filters=filters, before=before
                    )
                # The page's own query; the prefetches of its 25 rows follow it.
                ms, lines = explain_sql(captured.captured_queries[0]["sql"])
                rows.append((f"{name}, {page}", ms, plan_head(lines)))
                before = next_cursor
    return rows, sizes[0][0]


def page_figures(cdmo_id):
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="bench-finding-pm"))
    htmx = {"HTTP_HX_REQUEST": "true"}
    search_url = reverse("search", args=[SLUG])
    cdmo_url = reverse("cdmo_timeline", args=[SLUG, cdmo_id])
    older = selectors.communication_timeline(
        sponsor=Sponsor.objects.get(slug=SLUG), cdmo=CDMO.objects.get(pk=cdmo_id)
    )[1]
    busiest = (
        Project.objects.filter(sponsor__slug=SLUG, cdmo_id=cdmo_id)
        .annotate(n=Count("communications"))
        .order_by("-n")
        .first()
    )
    project_url = reverse("project_detail", args=[SLUG, busiest.pk])
    pages = [
        ("search page, common word", f"{search_url}?q=batch", {}),
        ("search page, CDMO name with a typo", f"{search_url}?q=Lonsa", {}),
        ("search results partial (typing)", f"{search_url}?q=stability", htmx),
        ("search, one kind, page 3", f"{search_url}?q=batch&kind=communications&page=3", {}),
        ("CDMO timeline page", cdmo_url, {}),
        ("CDMO timeline partial, filtered", f"{cdmo_url}?direction=inbound&channel=call", htmx),
        ("CDMO timeline partial, load older", f"{cdmo_url}?before={older}", htmx),
        ("(for comparison: a project's timeline partial)", project_url, htmx),
        (
            "(CDMO page itself, as before this change)",
            reverse("cdmo_detail", args=[SLUG, cdmo_id]),
            {},
        ),
    ]
    # The test client's request_started would empty the query log that counts the queries.
    request_started.disconnect(reset_queries)
    rows = []
    for label, url, headers in pages:
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        reset_queries()  # the log is capped (9,000): the count must not start at the cap
        with CaptureQueriesContext(connection) as queries:
            client.get(url, **headers)
        count = len(queries.captured_queries)  # a slice of the log: read it now
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            client.get(url, **headers)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        rows.append((label, statistics.median(samples), p95, count))
    return rows


def main():
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of your own.")
    if settings.DEBUG:
        sys.exit("DEBUG must be off.")
    call_command("migrate", verbosity=0)
    sponsor = load()
    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum keeps them: the planner's choices depend on them.
        cursor.execute("ANALYZE")
    timeline, largest = timeline_figures(sponsor)
    rows = search_figures(sponsor) + timeline
    width = max(len(r[0]) for r in rows)
    print("\nSQL: EXPLAIN ANALYZE execution time, then the head of the plan")
    for label, ms, plan in rows:
        print(f"{label:<{width}}  {ms:8.2f} ms  {plan}")
    print(f"\nWhole pages through the test client, DEBUG off, {RUNS} requests each")
    print("(target: p95 ≤ 30 ms server time, SPEC §6)")
    for label, median, p95, queries in page_figures(largest):
        print(f"{label:<48}  median {median:6.1f} ms  p95 {p95:6.1f} ms  {queries} queries")


if __name__ == "__main__":
    main()
