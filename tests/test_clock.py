"""Business time (scorecards.clock): table-driven cases and properties. Pure: no database."""

import random
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.clock import (
    ALWAYS_OPEN,
    DEFAULT_WEEK,
    Calendar,
    due_at,
    next_working_intervals,
    truncate,
    validate_weekly,
    working_minutes,
)

MINUTE = timedelta(minutes=1)
NY, LA = "America/New_York", "America/Los_Angeles"
SPLIT_DAY = (((480, 720), (780, 1020)),) * 5 + ((),) * 2  # 08:00-12:00 and 13:00-17:00
NIGHTS = (((0, 360), (1320, 1440)),) * 7  # 22:00-24:00 and 00:00-06:00, every day

BERLIN = Calendar("Europe/Berlin", country="DE")
BAVARIA = Calendar("Europe/Berlin", country="DE", subdivision="BY")
KOLKATA = Calendar("Asia/Kolkata", country="IN")
ADELAIDE = Calendar("Australia/Adelaide", country="AU", subdivision="SA")
BOSTON_SPLIT = Calendar("America/New_York", weekly=SPLIT_DAY, country="US", subdivision="MA")
CALIFORNIA = Calendar("America/Los_Angeles", country="US", subdivision="CA")
BERLIN_NIGHTS = Calendar("Europe/Berlin", weekly=NIGHTS)
BERLIN_NIGHTS_DE = Calendar("Europe/Berlin", weekly=NIGHTS, country="DE")
NEW_YORK_NIGHTS = Calendar("America/New_York", weekly=NIGHTS)
ADELAIDE_NIGHTS = Calendar("Australia/Adelaide", weekly=NIGHTS)
HAVANA_NIGHTS = Calendar("America/Havana", weekly=NIGHTS)  # clocks change at midnight
SAO_PAULO_NIGHTS = Calendar("America/Sao_Paulo", weekly=NIGHTS)  # fell back 00:00 -> 23:00
BERLIN_CLOSED_TUESDAY = Calendar("Europe/Berlin", country="DE", closed_dates={date(2026, 3, 3)})


def at(text, zone="Europe/Berlin", fold=0):
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone), fold=fold)


def sundays(*intervals, zone="Europe/Berlin"):
    """A calendar open only on Sundays, for the DST nights (which are all Sundays here)."""
    return Calendar(zone, weekly=((),) * 6 + (intervals,))


# (case, calendar, start, end, business minutes)
ELAPSED = [
    ("full Monday", BERLIN, at("2026-03-02 09:00"), at("2026-03-02 17:00"), 480),
    ("whole week", BERLIN, at("2026-03-02 00:00"), at("2026-03-09 00:00"), 2400),
    ("weekend", BERLIN, at("2026-03-06 17:00"), at("2026-03-09 09:00"), 0),
    ("before opening", BERLIN, at("2026-03-02 06:00"), at("2026-03-02 10:00"), 60),
    ("after closing", BERLIN, at("2026-03-02 16:00"), at("2026-03-02 20:00"), 60),
    ("night to night", BERLIN, at("2026-03-02 20:00"), at("2026-03-03 08:00"), 0),
    ("Saturday only", BERLIN, at("2026-03-07 08:00"), at("2026-03-07 18:00"), 0),
    ("end before start", BERLIN, at("2026-03-02 17:00"), at("2026-03-02 09:00"), 0),
    ("Christmas Day DE", BERLIN, at("2026-12-24 09:00"), at("2026-12-28 09:00"), 480),
    ("Whit Monday DE", BERLIN, at("2026-05-22 09:00"), at("2026-05-26 17:00"), 960),
    ("Corpus Christi BY", BAVARIA, at("2026-06-04 00:00"), at("2026-06-05 00:00"), 0),
    ("Corpus Christi not federal", BERLIN, at("2026-06-04 00:00"), at("2026-06-05 00:00"), 480),
    ("Patriots' Day MA", BOSTON_SPLIT, at("2026-04-20 00:00", NY), at("2026-04-22 00:00", NY), 480),
    (
        "Patriots' Day not CA",
        CALIFORNIA,
        at("2026-04-20 00:00", LA),
        at("2026-04-21 00:00", LA),
        480,
    ),
    (
        "extra closed date",
        BERLIN_CLOSED_TUESDAY,
        at("2026-03-02 09:00"),
        at("2026-03-04 17:00"),
        960,
    ),
    (
        "split day",
        BOSTON_SPLIT,
        at("2026-03-02 08:00", "America/New_York"),
        at("2026-03-02 17:00", "America/New_York"),
        480,
    ),
    (
        "split day over lunch",
        BOSTON_SPLIT,
        at("2026-03-02 11:00", "America/New_York"),
        at("2026-03-02 14:00", "America/New_York"),
        120,
    ),
    (
        "lunch only",
        BOSTON_SPLIT,
        at("2026-03-02 12:00", "America/New_York"),
        at("2026-03-02 13:00", "America/New_York"),
        0,
    ),
    ("night across midnight", BERLIN_NIGHTS, at("2026-03-02 21:00"), at("2026-03-03 07:00"), 480),
    (
        "night before Christmas",
        BERLIN_NIGHTS_DE,
        at("2026-12-24 21:00"),
        at("2026-12-25 07:00"),
        120,
    ),
    ("Christmas night", BERLIN_NIGHTS_DE, at("2026-12-25 21:00"), at("2026-12-26 07:00"), 0),
    (
        "Berlin spring-forward night",
        BERLIN_NIGHTS,
        at("2026-03-29 00:00"),
        at("2026-03-29 06:00"),
        300,
    ),
    (
        "Berlin spring-forward, from Sat 22:00",
        BERLIN_NIGHTS,
        at("2026-03-28 21:00"),
        at("2026-03-29 07:00"),
        420,
    ),
    (
        "Berlin fall-back night",
        BERLIN_NIGHTS,
        at("2026-10-25 00:00"),
        at("2026-10-25 06:00"),
        420,
    ),
    (
        "Berlin fall-back, from Sat 22:00",
        BERLIN_NIGHTS,
        at("2026-10-24 21:00"),
        at("2026-10-25 07:00"),
        540,
    ),
    ("Berlin across DST weekend", BERLIN, at("2026-03-27 16:00"), at("2026-03-30 10:00"), 120),
    (
        "Berlin across fall-back weekend",
        BERLIN,
        at("2026-10-23 16:00"),
        at("2026-10-26 10:00"),
        120,
    ),
    (
        "NY spring-forward night",
        NEW_YORK_NIGHTS,
        at("2026-03-07 21:00", "America/New_York"),
        at("2026-03-08 07:00", "America/New_York"),
        420,
    ),
    (
        "NY fall-back night",
        NEW_YORK_NIGHTS,
        at("2026-10-31 21:00", "America/New_York"),
        at("2026-11-01 07:00", "America/New_York"),
        540,
    ),
    (
        "Kolkata day",
        KOLKATA,
        at("2026-03-02 09:00", "Asia/Kolkata"),
        at("2026-03-02 17:00", "Asia/Kolkata"),
        480,
    ),
    (
        "Kolkata day read in UTC",
        KOLKATA,
        at("2026-03-02 03:30", "UTC"),
        at("2026-03-02 11:30", "UTC"),
        480,
    ),
    (
        "Kolkata UTC morning",
        KOLKATA,
        at("2026-03-02 00:00", "UTC"),
        at("2026-03-02 06:00", "UTC"),
        150,
    ),
    (
        "Kolkata Holi",
        KOLKATA,
        at("2026-03-03 09:00", "Asia/Kolkata"),
        at("2026-03-05 09:00", "Asia/Kolkata"),
        480,
    ),
    (
        "Adelaide day (+10:30)",
        ADELAIDE,
        at("2026-03-02 09:00", "Australia/Adelaide"),
        at("2026-03-02 17:00", "Australia/Adelaide"),
        480,
    ),
    (
        "Adelaide day read in UTC",
        ADELAIDE,
        at("2026-03-01 22:30", "UTC"),
        at("2026-03-02 06:30", "UTC"),
        480,
    ),
    (
        "Adelaide Cup Day SA",
        ADELAIDE,
        at("2026-03-09 00:00", "Australia/Adelaide"),
        at("2026-03-10 00:00", "Australia/Adelaide"),
        0,
    ),
    (
        "Adelaide fall-back night",
        ADELAIDE_NIGHTS,
        at("2026-04-05 00:00", "Australia/Adelaide"),
        at("2026-04-05 06:00", "Australia/Adelaide"),
        420,
    ),
    (
        "Adelaide spring-forward night",
        ADELAIDE_NIGHTS,
        at("2026-10-04 00:00", "Australia/Adelaide"),
        at("2026-10-04 06:00", "Australia/Adelaide"),
        300,
    ),
    (
        "truncated to the same minute",
        BERLIN,
        at("2026-03-02 09:00:30"),
        at("2026-03-02 09:00:45"),
        0,
    ),
    ("truncated start", BERLIN, at("2026-03-02 09:00:59.999999"), at("2026-03-02 09:01"), 1),
    ("truncated end", BERLIN, at("2026-03-02 16:59:59"), at("2026-03-02 17:30"), 1),
    ("24/7 day", ALWAYS_OPEN, at("2026-03-07 00:00", "UTC"), at("2026-03-08 00:00", "UTC"), 1440),
    ("24/7 across Berlin DST", ALWAYS_OPEN, at("2026-03-28 12:00"), at("2026-03-29 12:00"), 1380),
]


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"), [c[1:] for c in ELAPSED], ids=[c[0] for c in ELAPSED]
)
def test_it_counts_business_minutes(calendar, start, end, expected):
    assert working_minutes(calendar, start, end) == expected


# Working intervals with a boundary inside a DST change; each case spans the whole Sunday.
DST_BOUNDARIES = [
    ("gap start: from the jump", sundays((150, 360)), "2026-03-29", 180),
    ("gap end: to the jump", sundays((60, 150)), "2026-03-29", 60),
    ("wholly skipped interval", sundays((135, 165)), "2026-03-29", 0),
    ("ambiguous start: its minutes in both offsets", sundays((150, 360)), "2026-10-25", 240),
    ("ambiguous end: its minutes in both offsets", sundays((0, 150)), "2026-10-25", 180),
    ("overlapping readings count once", sundays((0, 150), (150, 360)), "2026-10-25", 420),
    ("end at the fall-back wall time", sundays((0, 120)), "2026-10-25", 120),
    ("the repeated hour, both times", sundays((120, 180)), "2026-10-25", 120),
    ("NY ambiguous start", sundays((90, 360), zone="America/New_York"), "2026-11-01", 300),
]


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [c[1:] for c in DST_BOUNDARIES],
    ids=[c[0] for c in DST_BOUNDARIES],
)
def test_it_counts_intervals_with_boundaries_in_dst_changes_for_their_real_length(
    calendar, day, expected
):
    start = at(f"{day} 00:00", calendar.time_zone) - timedelta(hours=2)
    assert working_minutes(calendar, start, start + timedelta(hours=30)) == expected


def _whole_sunday(calendar, day):
    start = at(f"{day} 00:00", calendar.time_zone) - timedelta(hours=2)
    return working_minutes(calendar, start, start + timedelta(hours=30))


def test_edge_13_an_interval_starting_in_the_repeated_hour_counts_240_not_270():
    # Berlin 2026-10-25, 03:00 CEST -> 02:00 CET. 02:30-06:00 holds 02:30-03:00 CEST, then
    # 02:30-06:00 CET; 02:00-02:30 CET shows a wall time before the interval.
    assert _whole_sunday(sundays((150, 360)), "2026-10-25") == 240
    first = at("2026-10-25 02:00", fold=1)  # 02:00 CET, the second reading
    assert working_minutes(sundays((150, 360)), first, first + 30 * MINUTE) == 0
    assert working_minutes(sundays((150, 360)), at("2026-10-25 02:30"), first) == 30


def test_edge_13_an_interval_ending_in_the_repeated_hour_counts_each_reading_of_its_minutes():
    # 00:00-02:30: 00:00-02:30 CEST and again 02:00-02:30 CET, not 02:30-03:00 CEST.
    assert _whole_sunday(sundays((0, 150)), "2026-10-25") == 180
    second_reading = at("2026-10-25 02:00", fold=1)
    assert working_minutes(sundays((0, 150)), at("2026-10-25 02:30"), second_reading) == 0
    new_york = sundays((90, 360), zone=NY)  # 01:30-06:00 over 02:00 EDT -> 01:00 EST
    assert _whole_sunday(new_york, "2026-11-01") == 300


def test_edge_13_an_interval_inside_the_repeated_hour_keeps_its_real_elapsed_length():
    # The wall clock shows 02:15-02:45 for 30 minutes in each offset: 60 real minutes.
    assert _whole_sunday(sundays((135, 165)), "2026-10-25") == 60
    assert _whole_sunday(sundays((120, 180)), "2026-10-25") == 120  # the whole repeated hour
    havana = Calendar("America/Havana", weekly=((),) * 6 + (((0, 60),),))  # 01:00 -> 00:00
    assert _whole_sunday(havana, "2026-11-01") == 120


def test_edge_13_the_spring_forward_night_is_unchanged():
    # Berlin 2026-03-29, 02:00 CET -> 03:00 CEST: no minute reads 02:xx.
    assert _whole_sunday(sundays((150, 360)), "2026-03-29") == 180
    assert _whole_sunday(sundays((0, 360)), "2026-03-29") == 300
    assert _whole_sunday(sundays((135, 165)), "2026-03-29") == 0
    assert _whole_sunday(sundays((60, 150)), "2026-03-29") == 60


def test_edge_13_a_due_time_skips_the_second_reading_before_the_interval():
    calendar = sundays((150, 360))
    start = at("2026-10-25 00:00")
    assert due_at(calendar, start, 30) == at("2026-10-25 02:00", fold=1).astimezone(UTC)
    # The 31st minute is 02:30 CET, half an hour after the clocks fell back (01:31 UTC).
    assert due_at(calendar, start, 31) == at("2026-10-25 02:31", fold=1).astimezone(UTC)
    assert due_at(calendar, start, 240) == at("2026-10-25 06:00").astimezone(UTC)


# Where clocks change at midnight, 24:00 and 00:00 still split the minutes by their local date.
MIDNIGHT_CHANGES = [
    ("Havana spring-forward at 00:00", HAVANA_NIGHTS, "2026-03-07", "", 420),
    ("Havana fall-back at 01:00", HAVANA_NIGHTS, "2026-10-31", "", 540),
    ("Havana fall-back, Sunday closed", HAVANA_NIGHTS, "2026-10-31", "next", 120),
    ("Havana fall-back, Saturday closed", HAVANA_NIGHTS, "2026-10-31", "first", 420),
    ("Sao Paulo fall-back to Sat 23:00", SAO_PAULO_NIGHTS, "2018-02-17", "", 540),
    ("Sao Paulo fall-back, Sunday closed", SAO_PAULO_NIGHTS, "2018-02-17", "next", 180),
    ("Sao Paulo fall-back, Saturday closed", SAO_PAULO_NIGHTS, "2018-02-17", "first", 360),
    ("Sao Paulo spring-forward at 00:00", SAO_PAULO_NIGHTS, "2018-11-03", "", 420),
]


@pytest.mark.parametrize(
    ("calendar", "saturday", "closed", "expected"),
    [c[1:] for c in MIDNIGHT_CHANGES],
    ids=[c[0] for c in MIDNIGHT_CHANGES],
)
def test_it_gives_each_minute_its_own_local_date_when_clocks_change_at_midnight(
    calendar, saturday, closed, expected
):
    first = date.fromisoformat(saturday)
    closed_dates = {"": set(), "first": {first}, "next": {first + timedelta(days=1)}}[closed]
    calendar = Calendar(calendar.time_zone, weekly=NIGHTS, closed_dates=closed_dates)
    start = at(f"{saturday} 12:00", calendar.time_zone)
    end = at(f"{first + timedelta(days=1)} 12:00", calendar.time_zone)
    assert working_minutes(calendar, start, end) == expected


# (case, calendar, start, target minutes, pauses, due time or None)
DUE = [
    ("closing time exactly", BERLIN, at("2026-03-02 09:00"), 480, (), at("2026-03-02 17:00")),
    ("one minute more", BERLIN, at("2026-03-02 09:00"), 481, (), at("2026-03-03 09:01")),
    ("started Friday 18:00", BERLIN, at("2026-03-06 18:00"), 60, (), at("2026-03-09 10:00")),
    ("started Saturday", BERLIN, at("2026-03-07 11:00"), 480, (), at("2026-03-09 17:00")),
    ("started before opening", BERLIN, at("2026-03-02 07:00"), 30, (), at("2026-03-02 09:30")),
    ("over the DST weekend", BERLIN, at("2026-03-27 16:00"), 120, (), at("2026-03-30 10:00")),
    ("over Christmas", BERLIN, at("2026-12-24 16:00"), 120, (), at("2026-12-28 10:00")),
    ("over Whit Monday", BERLIN, at("2026-05-22 16:00"), 120, (), at("2026-05-26 10:00")),
    (
        "over a closed date",
        BERLIN_CLOSED_TUESDAY,
        at("2026-03-02 16:00"),
        120,
        (),
        at("2026-03-04 10:00"),
    ),
    (
        "end of the morning",
        BOSTON_SPLIT,
        at("2026-03-02 11:00", "America/New_York"),
        60,
        (),
        at("2026-03-02 12:00", "America/New_York"),
    ),
    (
        "after lunch",
        BOSTON_SPLIT,
        at("2026-03-02 11:00", "America/New_York"),
        61,
        (),
        at("2026-03-02 13:01", "America/New_York"),
    ),
    (
        "night across midnight",
        BERLIN_NIGHTS,
        at("2026-03-02 23:00"),
        120,
        (),
        at("2026-03-03 01:00"),
    ),
    (
        "night into spring-forward",
        BERLIN_NIGHTS,
        at("2026-03-28 23:00"),
        180,
        (),
        at("2026-03-29 03:00"),
    ),
    (
        "night into fall-back",
        BERLIN_NIGHTS,
        at("2026-10-24 23:00"),
        240,
        (),
        at("2026-10-25 02:00", fold=1),
    ),
    (
        "Kolkata closing",
        KOLKATA,
        at("2026-03-02 09:00", "Asia/Kolkata"),
        480,
        (),
        at("2026-03-02 11:30", "UTC"),
    ),
    (
        "Kolkata from UTC midnight",
        KOLKATA,
        at("2026-03-02 00:00", "UTC"),
        30,
        (),
        at("2026-03-02 09:30", "Asia/Kolkata"),
    ),
    (
        "Adelaide over Cup Day",
        ADELAIDE,
        at("2026-03-06 16:00", "Australia/Adelaide"),
        120,
        (),
        at("2026-03-10 10:00", "Australia/Adelaide"),
    ),
    ("24/7", ALWAYS_OPEN, at("2026-03-07 10:00", "UTC"), 1440, (), at("2026-03-08 10:00", "UTC")),
    ("truncated start", BERLIN, at("2026-03-02 09:00:59"), 1, (), at("2026-03-02 09:01")),
    (
        "closed pause",
        BERLIN,
        at("2026-03-02 09:00"),
        480,
        [(at("2026-03-02 10:00"), at("2026-03-02 11:00"))],
        at("2026-03-03 10:00"),
    ),
    (
        "pause into the next day",
        BERLIN,
        at("2026-03-02 09:00"),
        480,
        [(at("2026-03-02 16:00"), at("2026-03-03 10:00"))],
        at("2026-03-03 11:00"),
    ),
    (
        "pause over the weekend",
        BERLIN,
        at("2026-03-06 16:00"),
        120,
        [(at("2026-03-06 17:00"), at("2026-03-09 09:00"))],
        at("2026-03-09 10:00"),
    ),
    (
        "pause before start",
        BERLIN,
        at("2026-03-02 09:00"),
        60,
        [(at("2026-03-01 09:00"), at("2026-03-02 08:00"))],
        at("2026-03-02 10:00"),
    ),
    (
        "open pause before due",
        BERLIN,
        at("2026-03-02 09:00"),
        480,
        [(at("2026-03-02 12:00"), None)],
        None,
    ),
    (
        "open pause from before start",
        BERLIN,
        at("2026-03-02 09:00"),
        60,
        [(at("2026-03-02 08:00"), None)],
        None,
    ),
    (
        "open pause at the due time",
        BERLIN,
        at("2026-03-02 09:00"),
        480,
        [(at("2026-03-02 17:00"), None)],
        at("2026-03-02 17:00"),
    ),
    (
        "open pause after hours",
        BERLIN,
        at("2026-03-02 09:00"),
        480,
        [(at("2026-03-02 20:00"), None)],
        at("2026-03-02 17:00"),
    ),
    (
        "pause on 24/7",
        ALWAYS_OPEN,
        at("2026-03-07 10:00", "UTC"),
        60,
        [(at("2026-03-07 10:30", "UTC"), at("2026-03-07 11:30", "UTC"))],
        at("2026-03-07 12:00", "UTC"),
    ),
    ("zero target", BERLIN, at("2026-03-07 10:00:30"), 0, (), at("2026-03-07 10:00")),
]


@pytest.mark.parametrize(
    ("calendar", "start", "minutes", "pauses", "expected"),
    [c[1:] for c in DUE],
    ids=[c[0] for c in DUE],
)
def test_it_finds_the_due_time(calendar, start, minutes, pauses, expected):
    due = due_at(calendar, start, minutes, pauses)
    # In UTC: an aware datetime in a repeated hour never equals one in another zone (PEP 495).
    assert due == (expected and expected.astimezone(UTC))
    if due is not None:
        assert due.tzinfo is UTC
        assert working_minutes(calendar, start, due, pauses) == minutes


PAUSED = [
    ("closed pause", [("10:00", "11:00")], 420),
    ("open pause", [("15:00", None)], 360),
    ("overlapping pauses count once", [("10:00", "11:00"), ("10:30", "12:00")], 360),
    ("pause before start", [("07:00", "08:00")], 480),
    ("pause across the start", [("08:00", "10:00")], 420),
    ("pause after hours", [("18:00", "19:00")], 480),
    ("inverted pause ignored", [("12:00", "11:00")], 480),
    ("pause of seconds", [("12:00:10", "12:00:50")], 480),
]


@pytest.mark.parametrize(
    ("pauses", "expected"), [c[1:] for c in PAUSED], ids=[c[0] for c in PAUSED]
)
def test_it_leaves_pauses_out(pauses, expected):
    pauses = [(at(f"2026-03-02 {s}"), e and at(f"2026-03-02 {e}")) for s, e in pauses]
    assert working_minutes(BERLIN, at("2026-03-02 08:00"), at("2026-03-02 20:00"), pauses) == (
        expected
    )


def _date_level_minutes(country, first_day, last_day):
    """Mon-Fri 09:00-17:00 minutes from first_day to last_day exclusive, counted per date."""
    years = range(first_day.year, last_day.year + 1)
    closed = holidays.country_holidays(country, years=years) if country else {}
    days = (first_day + timedelta(days=n) for n in range((last_day - first_day).days))
    return sum(480 for day in days if day.weekday() < 5 and day not in closed)


@pytest.mark.parametrize(
    ("zone", "country", "first_day", "last_day"),
    [
        ("Europe/Berlin", "DE", date(1990, 1, 1), date(1991, 1, 1)),
        ("America/New_York", "US", date(1990, 1, 1), date(1991, 1, 1)),
        ("Europe/Berlin", "DE", date(2100, 1, 1), date(2101, 1, 1)),
        ("Europe/Berlin", "DE", date(2024, 1, 1), date(2031, 1, 1)),
        ("Asia/Kolkata", "", date(1999, 6, 1), date(2002, 6, 1)),
        ("Australia/Adelaide", "", date(1893, 1, 1), date(1900, 1, 1)),
    ],
)
def test_it_handles_distant_years_and_multi_year_spans(zone, country, first_day, last_day):
    calendar = Calendar(zone, country=country)
    start, end = at(f"{first_day} 00:00", zone), at(f"{last_day} 00:00", zone)
    expected = _date_level_minutes(country, first_day, last_day)
    assert working_minutes(calendar, start, end) == expected
    assert working_minutes(calendar, start, due_at(calendar, start, expected)) == expected


def test_it_previews_the_working_intervals_of_the_next_days():
    preview = next_working_intervals(BERLIN, at("2026-12-23 10:30:15"), 7)
    assert preview == [
        (at("2026-12-23 10:30"), at("2026-12-23 17:00")),
        (at("2026-12-24 09:00"), at("2026-12-24 17:00")),
        (at("2026-12-28 09:00"), at("2026-12-28 17:00")),
        (at("2026-12-29 09:00"), at("2026-12-29 17:00")),
        (at("2026-12-30 09:00"), at("2026-12-30 10:30")),
    ]
    assert all(str(start.tzinfo) == "Europe/Berlin" for start, _ in preview)


def test_it_previews_a_night_across_midnight_and_new_year_as_one_interval():
    preview = next_working_intervals(BERLIN_NIGHTS, at("2026-12-31 12:00"), 1)
    assert preview == [(at("2026-12-31 22:00"), at("2027-01-01 06:00"))]
    assert next_working_intervals(ALWAYS_OPEN, at("2026-03-07 10:00", "UTC"), 2) == [
        (at("2026-03-07 10:00", "UTC"), at("2026-03-09 10:00", "UTC"))
    ]
    assert next_working_intervals(BERLIN, at("2026-03-07 10:00"), 0) == []


def test_it_truncates_to_the_minute_in_the_moments_own_zone():
    assert truncate(at("2026-03-02 09:07:59.5")) == at("2026-03-02 09:07")
    kolkata = truncate(at("2026-03-02 09:07:59", "Asia/Kolkata"))
    assert (kolkata.tzinfo, kolkata.minute, kolkata.second) == (ZoneInfo("Asia/Kolkata"), 7, 0)
    repeated = truncate(at("2026-10-25 02:30:30", fold=1))
    assert repeated == at("2026-10-25 02:30", fold=1) and repeated.fold == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone 'Mars/Olympus_Mons'"),
        ({"time_zone": ""}, "Unknown time zone ''"),
        ({"time_zone": "UTC", "country": "XX"}, "Unknown country 'XX'"),
        ({"time_zone": "UTC", "country": "US", "subdivision": "ZZ"}, "Unknown subdivision 'ZZ'"),
        ({"time_zone": "UTC", "subdivision": "BY"}, "needs a country"),
        ({"time_zone": "UTC", "weekly": ((),) * 7}, "no working hours"),
        ({"time_zone": "UTC", "weekly": DEFAULT_WEEK[:5]}, "seven days"),
        ({"time_zone": "UTC", "closed_dates": {datetime(2026, 1, 1)}}, "must be dates"),
    ],
)
def test_it_refuses_a_bad_calendar_with_a_clear_message(fields, message):
    with pytest.raises(ValueError, match=message):
        Calendar(**fields)


def test_it_accepts_a_week_as_lists_and_normalises_it():
    as_lists = [[[780, 1020], [480, 720]]] * 5 + [[], []]
    calendar = Calendar("America/New_York", weekly=as_lists, country="us", subdivision="MA")
    assert calendar == BOSTON_SPLIT and hash(calendar) == hash(BOSTON_SPLIT)
    assert Calendar("UTC", weekly=((),) * 7, always_open=True).always_open


def test_it_refuses_naive_datetimes_and_negative_targets():
    with pytest.raises(ValueError, match="aware datetime"):
        working_minutes(BERLIN, datetime(2026, 3, 2, 9), at("2026-03-02 10:00"))
    with pytest.raises(ValueError, match="aware datetime"):
        truncate(datetime(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="negative"):
        due_at(BERLIN, at("2026-03-02 09:00"), -1)


WEEK_PROBLEMS = [
    ("default week", DEFAULT_WEEK, []),
    ("split day", SPLIT_DAY, []),
    ("nights", NIGHTS, []),
    ("six days", DEFAULT_WEEK[:6], ["seven days"]),
    (
        "overlap",
        (((480, 720), (660, 780)),) + ((),) * 6,
        ["Monday: 08:00-12:00 overlaps 11:00-13:00"],
    ),
    (
        "overlap inside",
        (((480, 1020), (540, 600), (660, 720)),) + ((),) * 6,
        ["overlaps 09:00-10:00", "overlaps 11:00-12:00"],
    ),
    ("empty", ((), ((600, 600),)) + ((),) * 5, ["Tuesday: 10:00-10:00 is empty"]),
    (
        "inverted: crosses midnight",
        ((), (), ((1320, 360),)) + ((),) * 4,
        [
            "Wednesday: 22:00-06:00 crosses midnight; enter 22:00-24:00 on Wednesday"
            " and 00:00-06:00 on Thursday"
        ],
    ),
    (
        "past 24:00",
        ((),) * 6 + (((1320, 1800),),),
        ["Sunday: 22:00-06:00 crosses midnight; enter 22:00-24:00 on Sunday and 00:00-06:00 on"],
    ),
    ("negative", (((-60, 600),),) + ((),) * 6, ["Monday: -60-600 is out of range"]),
    ("not minutes", (((9.5, 17),),) + ((),) * 6, ["must be whole minutes"]),
    ("not a pair", (((540,),),) + ((),) * 6, ["is not a (start, end) pair"]),
    ("no working time", ((),) * 7, ["no working hours"]),
]


@pytest.mark.parametrize(
    ("weekly", "expected"), [c[1:] for c in WEEK_PROBLEMS], ids=[c[0] for c in WEEK_PROBLEMS]
)
def test_it_explains_what_is_wrong_with_a_working_week(weekly, expected):
    problems = validate_weekly(weekly)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


# --- properties -------------------------------------------------------------------------------

SPLIT_KOLKATA = Calendar("Asia/Kolkata", weekly=SPLIT_DAY, country="IN")
# Calendars with interval boundaries inside the repeated or skipped hour of their zone.
DST_EDGE_CALENDARS = [
    Calendar("Europe/Berlin", weekly=(((150, 360), (600, 1020)),) * 7),
    Calendar("Europe/Berlin", weekly=(((0, 150), (165, 1440)),) * 7),
    Calendar("Europe/Berlin", weekly=(((135, 165),),) * 7),
    Calendar(NY, weekly=(((90, 360),),) * 7),
    Calendar("Australia/Adelaide", weekly=(((150, 600),),) * 7),
    Calendar("America/Havana", weekly=(((30, 600),),) * 7),
    Calendar("America/Sao_Paulo", weekly=(((0, 300), (1410, 1440)),) * 7),
]
CALENDARS = [BERLIN, KOLKATA, BOSTON_SPLIT, SPLIT_KOLKATA, ADELAIDE, BERLIN_NIGHTS, ALWAYS_OPEN]
CALENDARS += DST_EDGE_CALENDARS[:2]
# "A minute is working time iff its local wall time lies in a working interval of its own
# local date" (SPEC §3 edge 13) is the whole definition, for every calendar.
ORACLE_CALENDARS = CALENDARS + [NEW_YORK_NIGHTS, ADELAIDE_NIGHTS, HAVANA_NIGHTS, SAO_PAULO_NIGHTS]
ORACLE_CALENDARS += DST_EDGE_CALENDARS[2:]
DST_CHANGES = [
    at("2026-03-29 02:00"),
    at("2026-10-25 02:00"),
    at("2026-03-08 02:00", "America/New_York"),
    at("2026-11-01 01:00", "America/New_York"),
    at("2026-04-05 02:00", "Australia/Adelaide"),
    at("2026-10-04 02:00", "Australia/Adelaide"),
    at("2026-03-08 00:00", "America/Havana"),
    at("2026-11-01 00:00", "America/Havana"),
    at("2018-02-17 23:00", "America/Sao_Paulo"),
]
ZONES = [UTC] + [ZoneInfo(z) for z in ("Europe/Berlin", "America/New_York", "Asia/Kolkata")]

anywhere = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
near_dst = st.builds(
    lambda change, seconds: change + timedelta(seconds=seconds),
    st.sampled_from(DST_CHANGES),
    st.integers(-3 * 86400, 3 * 86400),
)
moments = st.builds(
    lambda moment, zone: moment.astimezone(zone),
    st.one_of(near_dst, anywhere),
    st.sampled_from(ZONES),
)
calendars = st.sampled_from(CALENDARS)
targets = st.integers(1, 200_000)  # up to about 400 business days: crosses years
fast = settings(max_examples=300, deadline=None)


@fast
@given(calendars, moments, targets)
def test_property_due_time_uses_up_exactly_the_target(calendar, start, minutes):
    due = due_at(calendar, start, minutes)
    assert due.tzinfo is UTC and due.second == 0 and due.microsecond == 0
    assert working_minutes(calendar, start, due) == minutes
    # Never in non-working time: the minute before the due time is a working minute.
    assert working_minutes(calendar, due - MINUTE, due) == 1


@fast
@given(calendars, moments, moments, moments)
def test_property_elapsed_is_monotonic_in_end(calendar, start, end1, end2):
    end1, end2 = sorted([end1, end2])
    assert working_minutes(calendar, start, end1) <= working_minutes(calendar, start, end2)


@fast
@given(calendars, moments, moments, moments)
def test_property_elapsed_adds_up_over_a_split_point(calendar, first, second, third):
    a, b, c = sorted([first, second, third])
    assert working_minutes(calendar, a, c) == (
        working_minutes(calendar, a, b) + working_minutes(calendar, b, c)
    )


@fast
@given(calendars, moments, moments, moments, moments)
def test_property_a_pause_equals_splitting_around_it(calendar, first, second, third, fourth):
    a, p, q, b = sorted([first, second, third, fourth])
    split = working_minutes(calendar, a, p) + working_minutes(calendar, q, b)
    assert working_minutes(calendar, a, b, [(p, q)]) == split
    assert working_minutes(calendar, a, b, [(p, None)]) == working_minutes(calendar, a, p)


@fast
@given(calendars, moments, st.integers(1, 20_000), moments, moments)
def test_property_due_time_skips_pauses(calendar, start, minutes, p, q):
    p, q = sorted([p, q])
    due = due_at(calendar, start, minutes, [(p, q)])
    assert working_minutes(calendar, start, due, [(p, q)]) == minutes
    assert working_minutes(calendar, due - MINUTE, due, [(p, q)]) == 1
    while_open = due_at(calendar, start, minutes, [(p, None)])
    if working_minutes(calendar, start, p) < minutes:
        assert while_open is None
    else:
        assert while_open == due_at(calendar, start, minutes)


@fast
@given(calendars, moments, st.integers(0, 40))
def test_property_preview_lists_exactly_the_working_time(calendar, start, days):
    preview = next_working_intervals(calendar, start, days)
    assert all(str(begin.tzinfo) == calendar.time_zone for begin, _ in preview)
    # Compare and subtract in UTC: within one zone Python compares wall-clock times.
    preview = [(begin.astimezone(UTC), end.astimezone(UTC)) for begin, end in preview]
    for begin, end in preview:
        assert begin < end and working_minutes(calendar, begin, end) == (end - begin) // MINUTE
    for (_, end), (begin, _) in zip(preview, preview[1:], strict=False):
        assert end < begin and working_minutes(calendar, end, begin) == 0
    if preview:
        assert working_minutes(calendar, start, preview[0][0]) == 0
        assert preview[-1][1] <= start + timedelta(days=days, hours=2)
    else:
        assert working_minutes(calendar, start, start + timedelta(days=days, hours=-2)) == 0


def _minute_by_minute(calendar, start, end):
    """The definition, one minute at a time: its local date is open and its wall time working."""
    zone = ZoneInfo(calendar.time_zone)
    first, last = truncate(start).astimezone(UTC), truncate(end).astimezone(UTC)
    years = range(first.year - 1, last.year + 2)
    closed = set(calendar.closed_dates)
    if calendar.country:
        subdivision = calendar.subdivision or None
        closed |= set(holidays.country_holidays(calendar.country, subdiv=subdivision, years=years))
    count, moment = 0, first
    while moment < last:
        local = moment.astimezone(zone)
        of_day = local.hour * 60 + local.minute
        if calendar.always_open or (
            local.date() not in closed
            and any(s <= of_day < e for s, e in calendar.weekly[local.weekday()])
        ):
            count += 1
        moment += MINUTE
    return count


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ORACLE_CALENDARS), moments, st.integers(0, 3 * 86400))
def test_property_agrees_with_counting_minute_by_minute(calendar, start, seconds):
    end = start + timedelta(seconds=seconds)
    assert working_minutes(calendar, start, end) == _minute_by_minute(calendar, start, end)


# A calendar with a boundary in a DST change, and an instant near a change of its own zone.
dst_edges = st.builds(
    lambda pair, seconds, zone: (pair[0], (pair[1] + timedelta(seconds=seconds)).astimezone(zone)),
    st.sampled_from(
        [
            (calendar, change)
            for calendar in DST_EDGE_CALENDARS
            for change in DST_CHANGES
            if str(change.tzinfo) == calendar.time_zone
        ]
    ),
    st.integers(-2 * 86400, 86400),
    st.sampled_from(ZONES),
)


@settings(max_examples=150, deadline=None)
@given(dst_edges, st.integers(0, 2 * 86400))
def test_edge_13_property_agrees_minute_by_minute_across_dst_boundaries(edge, seconds):
    calendar, start = edge
    end = start + timedelta(seconds=seconds)
    assert working_minutes(calendar, start, end) == _minute_by_minute(calendar, start, end)


def test_timing_of_a_year_of_history(capsys):
    """Prints the figure for the README; no timed assertion (shared machine)."""
    rng = random.Random(20260302)
    base = datetime(2025, 6, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(10_000)]
    spans = [(s, s + timedelta(seconds=rng.randrange(365 * 86400))) for s in starts]
    targets = [rng.randrange(1, 120_000) for _ in range(10_000)]
    calendar = Calendar("Europe/Berlin", country="DE", closed_dates={date(2026, 2, 16)})
    began = perf_counter()
    working_minutes(calendar, base, base + timedelta(days=800))
    cold = perf_counter() - began
    began = perf_counter()
    for start, end in spans:
        working_minutes(calendar, start, end)
    elapsed = perf_counter() - began
    began = perf_counter()
    for (start, _), minutes in zip(spans, targets, strict=True):
        due_at(calendar, start, minutes)
    due = perf_counter() - began
    with capsys.disabled():
        print(
            f"\nclock timing: first use of a calendar (builds 3 years) {cold * 1000:.1f} ms; "
            f"10,000 working_minutes {elapsed * 1000:.0f} ms ({elapsed * 100:.1f} µs each); "
            f"10,000 due_at {due * 1000:.0f} ms ({due * 100:.1f} µs each)"
        )
