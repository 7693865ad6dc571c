"""Business time: how many working minutes lie between two instants, and when a target runs out.

Pure arithmetic (SPEC §3, "Business calendar" and "Due time"): datetimes and a `Calendar` in,
whole minutes or UTC datetimes out. No ORM, no settings, no clock reads.

How it works. Every instant is reduced to a *minute number*: whole minutes since 1970-01-01 UTC,
floored, which is the whole-minute truncation of SPEC edge case 1. A calendar's working time is
built lazily, one UTC year at a time, as sorted disjoint intervals of minute numbers plus a
running total (`_Year.cum[i]` = working minutes in the intervals before interval i). A year is
made by walking the local dates around it (Dec 30 of the year before to Jan 2 of the year after,
which covers any UTC offset), skipping the weekly days off, the country's public holidays for
that *local* date (`holidays` package) and the calendar's own closed dates, converting each local
wall-clock interval to real instants with `zoneinfo`, then merging overlapping or touching
intervals and clipping the result to the UTC year (about 3 ms to build, cached per calendar and
year). A query is then a couple of `bisect` calls: `_Year.before(m)` (working minutes of the year
before minute m) makes `working_minutes` a difference of two lookups, plus whole-year totals for
spans of several years, and `due_at` bisects the running totals for the minute at which the
target is used up. Pauses are cut out by interval arithmetic. About 3 µs a call.

DST (SPEC §3 edge 13): a minute is working time iff its own local wall time lies inside a
working interval of its own local date. `_wall_spans` turns an interval [s, e) of local date D
into the real minutes that show a wall time in it: one span on an ordinary day, cut where the
UTC offset changes otherwise. Hence, for Berlin:
  * spring forward (02:00 CET -> 03:00 CEST), no minute shows 02:xx: 00:00-06:00 counts 300
    minutes, 02:30-06:00 180, 02:15-02:45 nothing;
  * fall back (03:00 CEST -> 02:00 CET), every minute of 02:xx shows twice and counts each time
    it lies in the interval: 00:00-06:00 counts 420, 02:30-06:00 240 (02:30-03:00 twice, but not
    02:00-02:30 CET), 00:00-02:30 180, 02:15-02:45 60, 00:00-02:00 120;
  * where clocks fall back at midnight (America/Havana, 01:00 -> 00:00), 22:00-24:00 of the
    Saturday ends at the first midnight, and the repeated 00:xx minutes belong to the Sunday.
"""

from __future__ import annotations

import operator
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "ALWAYS_OPEN",
    "DEFAULT_WEEK",
    "Calendar",
    "due_at",
    "next_working_intervals",
    "truncate",
    "validate_weekly",
    "working_minutes",
]

DEFAULT_WEEK = (((540, 1020),),) * 5 + ((),) * 2  # Mon-Fri 09:00-17:00
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 1440

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
ONE_MINUTE = timedelta(minutes=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)
_OPEN = sys.maxsize  # end of a pause that has not ended
_MAX_EMPTY_YEARS = 10  # due_at gives up when this many years in a row have no working time

Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Calendar:
    """A business calendar (SPEC §3): a time zone, a working week, and the days it is closed.

    `weekly[d]` holds the working intervals of weekday d (0 = Monday) as (start, end) minutes of
    local wall-clock time, 1440 meaning 24:00. Lists (as from a JSON field) are accepted and
    stored as sorted tuples. Raises ValueError for an unknown time zone, country or subdivision,
    or a malformed week; always_open calendars ignore the week and every holiday.
    """

    time_zone: str
    weekly: tuple[tuple[tuple[int, int], ...], ...] = DEFAULT_WEEK
    country: str = ""
    subdivision: str = ""
    closed_dates: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self):
        problems = _weekly_problems(self.weekly, allow_empty=self.always_open)
        if problems:
            raise ValueError(" ".join(problems))
        closed = frozenset(self.closed_dates)
        if any(isinstance(day, datetime) or not isinstance(day, date) for day in closed):
            raise ValueError("Closed dates must be dates, not datetimes or text.")
        weekly = tuple(tuple(sorted((s, e) for s, e in day)) for day in self.weekly)
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "closed_dates", closed)
        object.__setattr__(self, "country", (self.country or "").strip().upper())
        object.__setattr__(self, "subdivision", (self.subdivision or "").strip())
        _zone(self.time_zone)
        _check_holidays(self.country, self.subdivision)


def truncate(moment: datetime) -> datetime:
    """The moment floored to its whole minute, in the moment's own time zone."""
    return _utc(_minute(moment)).astimezone(moment.tzinfo)


def working_minutes(
    calendar: Calendar, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
) -> int:
    """Business minutes in [start, end) after truncating both to the minute, less pauses.

    A pause is (start, end); an end of None means still open, that is up to `end`. Overlapping
    pauses count once. 0 when end <= start.
    """
    first, last = _minute(start), _minute(end)
    if last <= first:
        return 0
    total = _count(calendar, first, last)
    for pause_start, pause_end in _merged_pauses(pauses, first, last):
        total -= _count(calendar, pause_start, pause_end)
    return total


def due_at(
    calendar: Calendar, start: datetime, minutes: int, pauses: Iterable[Pause] = ()
) -> datetime | None:
    """The UTC instant at which `minutes` business minutes counted from `start` are used up.

    Non-working time and pauses are skipped; a clock started outside working hours starts using
    time at the next working instant; a target used up exactly at closing is due at closing
    (Mon 09:00 + 480 = Mon 17:00). None when an open pause (end None) begins before the target is
    used up: the due time is unknown while paused. 0 minutes are due at the truncated start.
    UTC because an aware datetime in a repeated hour never equals one in another zone (PEP 495).
    """
    remaining = operator.index(minutes)
    if remaining < 0:
        raise ValueError(f"A target cannot be negative (got {minutes}).")
    cursor = _minute(start)
    if remaining == 0:
        return _utc(cursor)
    for pause_start, pause_end in _merged_pauses(pauses, cursor, _OPEN):
        available = _count(calendar, cursor, pause_start)
        if available >= remaining:
            return _utc(_advance(calendar, cursor, remaining))
        remaining -= available
        if pause_end == _OPEN:
            return None
        cursor = max(cursor, pause_end)
    return _utc(_advance(calendar, cursor, remaining))


def validate_weekly(weekly) -> list[str]:
    """Human-readable problems with a working week, [] when it is fine (forms show these).

    Reports a week that is not seven days, bounds that are not whole minutes in 0..1440, empty or
    inverted intervals, intervals crossing midnight, overlaps within a day, and a week with no
    working time at all.
    """
    return _weekly_problems(weekly, allow_empty=False)


def next_working_intervals(
    calendar: Calendar, start: datetime, days: int
) -> list[tuple[datetime, datetime]]:
    """Working intervals within [start, start + `days` local calendar days), for a preview.

    Intervals are clipped to that window, touching ones are merged (a 22:00-24:00 plus
    00:00-06:00 night is one interval), and both ends are aware datetimes in the calendar's zone.
    Their lengths add up to `working_minutes` over the window. Compare or subtract them after
    `.astimezone(UTC)`: within one zone Python uses wall-clock time and ignores DST.
    """
    days = operator.index(days)
    if days < 0:
        raise ValueError(f"days cannot be negative (got {days}).")
    zone = _zone(calendar.time_zone)
    first = _minute(start)
    local_start = _utc(first).astimezone(zone).replace(tzinfo=None)
    last = _local_minute(zone, local_start + days * _ONE_DAY, end=True)
    if last <= first:
        return []
    if calendar.always_open:
        spans = [(first, last)]
    else:
        spans = []
        year = _year(calendar, _year_of(first))
        while year.lo < last:
            index = bisect_right(year.ends, first)
            for span_start, span_end in zip(year.starts[index:], year.ends[index:], strict=True):
                if span_start >= last:
                    break
                span_start, span_end = max(span_start, first), min(span_end, last)
                if spans and spans[-1][1] == span_start:
                    span_start = spans.pop()[0]
                spans.append((span_start, span_end))
            year = _year(calendar, year.year + 1)
    return [(_utc(s).astimezone(zone), _utc(e).astimezone(zone)) for s, e in spans]


# --- minute numbers ---------------------------------------------------------------------------


def _minute(moment: datetime) -> int:
    """Whole minutes since the epoch, floored: the instant truncated to its minute."""
    try:
        return (moment - EPOCH) // ONE_MINUTE
    except TypeError:
        raise ValueError(f"Expected an aware datetime, got {moment!r}.") from None


def _utc(minute: int) -> datetime:
    return EPOCH + minute * ONE_MINUTE


def _year_of(minute: int) -> int:
    return _utc(minute).year


def _local_minute(zone: ZoneInfo, wall: datetime, end: bool) -> int:
    """Minute number of a naive local wall time opening (end=False) or closing a window.

    For the end of `next_working_intervals`' window of local days; working intervals map
    minute by minute instead (`_wall_spans`).
    """
    first = wall.replace(tzinfo=zone) - EPOCH
    second = wall.replace(tzinfo=zone, fold=1) - EPOCH
    if first == second:
        moment = first
    elif first > second:  # never shown: zoneinfo reads it with the offsets either side of the jump
        moment = _jump(zone, second, first)
    elif not end:
        moment = first
    else:  # shown twice; the later occurrence unless the clocks fall back to exactly this time
        just_before = (EPOCH + second - _ONE_SECOND).astimezone(zone).replace(tzinfo=None)
        moment = second if just_before < wall else first
    return moment // ONE_MINUTE


def _wall_spans(zone: ZoneInfo, opening: datetime, closing: datetime) -> list[tuple[int, int]]:
    """The minute numbers whose local wall time lies in [opening, closing) (naive, one date).

    SPEC §3 edge 13. On most days one UTC offset holds throughout and this is one span. Around
    a DST change the real time line is cut where the offset changes, and each piece keeps the
    minutes that its own offset shows inside the interval: two spans when the interval reaches
    into the repeated hour (both readings of its minutes count, the other minutes of that hour
    do not), one when it reaches into the skipped hour (whose wall times never show).
    """
    offsets = {
        zone.utcoffset(opening),
        zone.utcoffset(opening.replace(fold=1)),
        zone.utcoffset(closing),
        zone.utcoffset(closing.replace(fold=1)),
    }
    if len(offsets) == 1:
        (offset,) = offsets
        start = opening - offset - _NAIVE_EPOCH
        return [(start // ONE_MINUTE, (start + (closing - opening)) // ONE_MINUTE)]
    # Every instant showing a wall time in the interval lies in [low, high].
    low = opening - max(offsets) - _NAIVE_EPOCH
    high = closing - min(offsets) - _NAIVE_EPOCH
    spans, begin = [], None  # begin None: the first piece reaches back indefinitely
    cursor = low
    while True:
        offset = (EPOCH + cursor).astimezone(zone).utcoffset()
        if offset == (EPOCH + high).astimezone(zone).utcoffset():
            change = None  # the last piece reaches on indefinitely
        else:
            change = _jump(zone, cursor, high)
        first = opening - offset - _NAIVE_EPOCH
        last = closing - offset - _NAIVE_EPOCH
        if begin is not None:
            first = max(first, begin)
        if change is not None:
            last = min(last, change)
        if first < last:
            spans.append((first // ONE_MINUTE, last // ONE_MINUTE))
        if change is None:
            return spans
        begin = cursor = change


def _jump(zone: ZoneInfo, before: timedelta, after: timedelta) -> timedelta:
    """The instant in (before, after] at which the zone's UTC offset changes (to the second)."""
    offset = (EPOCH + before).astimezone(zone).utcoffset()
    low, high = before // _ONE_SECOND, after // _ONE_SECOND
    while high - low > 1:
        middle = (low + high) // 2
        if (EPOCH + middle * _ONE_SECOND).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high * _ONE_SECOND


# --- a calendar's working time, one UTC year at a time ----------------------------------------


class _Year:
    """Working intervals of one UTC year as sorted, disjoint [start, end) minute numbers."""

    __slots__ = ("year", "lo", "hi", "starts", "ends", "cum")

    def __init__(self, year, lo, hi, spans):
        self.year, self.lo, self.hi = year, lo, hi
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]
        self.cum = [0]
        for s, e in spans:
            self.cum.append(self.cum[-1] + e - s)

    def before(self, minute: int) -> int:
        """Working minutes of this year before `minute` (lo <= minute <= hi)."""
        index = bisect_right(self.ends, minute)
        total = self.cum[index]
        if index < len(self.starts) and self.starts[index] < minute:
            total += minute - self.starts[index]
        return total

    def at(self, target: int) -> int:
        """The minute at which this year's `target`-th working minute ends (0 < target <= total)."""
        index = bisect_left(self.cum, target) - 1
        return self.starts[index] + target - self.cum[index]


@lru_cache(maxsize=512)
def _year(calendar: Calendar, year: int) -> _Year:
    lo = (datetime(year, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MINUTE
    hi = (datetime(year + 1, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MINUTE
    zone = _zone(calendar.time_zone)
    closed = calendar.closed_dates.union(
        *(_holidays(calendar.country, calendar.subdivision, y) for y in (year - 1, year, year + 1))
    )
    spans = []
    day, last_day = date(year - 1, 12, 30), date(year + 1, 1, 2)
    while day <= last_day:
        intervals = calendar.weekly[day.weekday()]
        if intervals and day not in closed:
            midnight = datetime(day.year, day.month, day.day)
            for start, end in intervals:
                opening, closing = midnight + start * ONE_MINUTE, midnight + end * ONE_MINUTE
                for first, last in _wall_spans(zone, opening, closing):
                    first, last = max(first, lo), min(last, hi)
                    if first < last:
                        spans.append((first, last))
        day += _ONE_DAY
    return _Year(year, lo, hi, _merge(spans))


def _count(calendar: Calendar, first: int, last: int) -> int:
    """Working minutes in [first, last) (minute numbers)."""
    if last <= first:
        return 0
    if calendar.always_open:
        return last - first
    year = _year(calendar, _year_of(first))
    total = -year.before(first)
    while last > year.hi:
        total += year.cum[-1]
        year = _year(calendar, year.year + 1)
    return total + year.before(last)


def _advance(calendar: Calendar, first: int, minutes: int) -> int:
    """The earliest minute number m with `minutes` working minutes in [first, m) (minutes > 0)."""
    if calendar.always_open:
        return first + minutes
    year = _year(calendar, _year_of(first))
    target = year.before(first) + minutes
    empty_years = 0
    while target > year.cum[-1]:
        target -= year.cum[-1]
        empty_years = empty_years + 1 if year.cum[-1] == 0 else 0
        if empty_years > _MAX_EMPTY_YEARS:
            raise ValueError("The calendar has no working time for years; no due time exists.")
        year = _year(calendar, year.year + 1)
    return year.at(target)


def _merged_pauses(pauses: Iterable[Pause], first: int, last: int) -> list[tuple[int, int]]:
    """Pauses as disjoint minute intervals clipped to [first, last); open ones end at last."""
    spans = []
    for pause_start, pause_end in pauses:
        start = max(_minute(pause_start), first)
        end = last if pause_end is None else min(_minute(pause_end), last)
        if start < end:
            spans.append((start, end))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint intervals covering the same minutes; touching ones become one."""
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# --- validation and reference data -------------------------------------------------------------


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'."
        ) from None


@lru_cache(maxsize=256)
def _check_holidays(country: str, subdivision: str) -> None:
    if not country:
        if subdivision:
            raise ValueError(f"A subdivision ({subdivision!r}) needs a country.")
        return
    try:
        holidays.country_holidays(country)
    except NotImplementedError:
        raise ValueError(
            f"Unknown country {country!r} for public holidays: use an ISO code such as 'DE'."
        ) from None
    if subdivision:
        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            raise ValueError(
                f"Unknown subdivision {subdivision!r} of country {country!r}."
            ) from None


@lru_cache(maxsize=1024)
def _holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def _hhmm(minute) -> str:
    if isinstance(minute, int) and not isinstance(minute, bool):
        return f"{minute // 60:02d}:{minute % 60:02d}"
    return repr(minute)


def _weekly_problems(weekly, allow_empty: bool) -> list[str]:
    try:
        days = list(weekly)
    except TypeError:
        return ["The working week must list seven days, Monday to Sunday."]
    if len(days) != 7:
        return [f"The working week must list seven days, Monday to Sunday (got {len(days)})."]
    problems, working = [], False
    for number, (name, day) in enumerate(zip(DAY_NAMES, days, strict=True)):
        valid = []
        for entry in day if isinstance(day, list | tuple) else [day]:
            if not isinstance(entry, list | tuple) or len(entry) != 2:
                problems.append(f"{name}: {entry!r} is not a (start, end) pair of minutes.")
                continue
            start, end = entry
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in entry):
                problems.append(f"{name}: {entry!r} must be whole minutes of the day.")
            elif not (0 <= start <= MINUTES_PER_DAY and 0 <= end <= 2 * MINUTES_PER_DAY):
                problems.append(
                    f"{name}: {start}-{end} is out of range; minutes run from 0 (00:00) to"
                    " 1440 (24:00)."
                )
            elif end > MINUTES_PER_DAY or start > end:
                following = DAY_NAMES[(number + 1) % 7]
                problems.append(
                    f"{name}: {_hhmm(start)}-{_hhmm(end % MINUTES_PER_DAY)} crosses midnight;"
                    f" enter {_hhmm(start)}-24:00 on {name} and 00:00-"
                    f"{_hhmm(end % MINUTES_PER_DAY)} on {following}."
                )
            elif start == end:
                problems.append(f"{name}: {_hhmm(start)}-{_hhmm(end)} is empty.")
            else:
                valid.append((start, end))
        reach = None  # of the intervals so far, the one ending last
        for start, end in sorted(valid):
            if reach and start < reach[1]:
                problems.append(
                    f"{name}: {_hhmm(reach[0])}-{_hhmm(reach[1])} overlaps"
                    f" {_hhmm(start)}-{_hhmm(end)}."
                )
            if reach is None or end > reach[1]:
                reach = (start, end)
        working = working or bool(valid)
    if not problems and not working and not allow_empty:
        problems.append("The working week has no working hours; add at least one interval.")
    return problems


ALWAYS_OPEN = Calendar(time_zone="UTC", always_open=True)  # here: Calendar needs the helpers above
