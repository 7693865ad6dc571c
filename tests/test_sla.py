"""The request clocks of SPEC §3, case by case, on the pure replay (no database).

Calendar: UTC, Mon–Fri 09:00–17:00, no holidays. 2026-03-02 is a Monday.
Targets: first response 2 h, next response 1 h, update interval 4 h, resolution 2 days.
"""

from datetime import UTC, datetime

from scorecards import clock, sla
from scorecards.sla import Communication, Lifecycle, Targets

CALENDAR = clock.Calendar(time_zone="UTC")
TARGETS = Targets(first_response=120, next_response=60, update=240, resolution=960)


def at(day, hour, minute=0, second=0):
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def inbound(moment, id=1):
    return Communication(moment, id, inbound=True)


def ask(moment, id=1, needs_response=True):
    return Communication(moment, id, inbound=False, needs_response=needs_response)


def run(now, communications=(), lifecycle=(), pauses=(), targets=TARGETS, **kwargs):
    kwargs.setdefault("opened_at", at(2, 9))
    kwargs.setdefault("raised_by_cdmo", False)
    return sla.replay(
        calendar=CALENDAR,
        targets=targets,
        communications=list(communications),
        lifecycle=list(lifecycle),
        pauses=list(pauses),
        now=now,
        **kwargs,
    )


def clocks(result, kind):
    return [c for c in result.clocks if c.kind == kind]


def only(result, kind):
    (found,) = clocks(result, kind)
    return found


def test_first_response_met_reports_the_frt():
    result = run(at(2, 12), [inbound(at(2, 10, 30))])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.used_minutes, first.due_at) == (sla.MET, 90, at(2, 11))
    assert result.first_response_minutes == 90


def test_breach_is_recorded_at_due_time_not_at_sweep_time():
    first = only(run(at(3, 16)), sla.FIRST_RESPONSE)
    assert first.state == sla.BREACHED
    assert first.outcome_at == first.due_at == at(2, 11)


def test_edge_1_precision_whole_minutes_and_due_time_is_still_running():
    opened = at(2, 9, 0, 40)
    assert only(run(at(2, 11, 0, 30), opened_at=opened), sla.FIRST_RESPONSE).state == sla.RUNNING
    assert only(run(at(2, 11, 1), opened_at=opened), sla.FIRST_RESPONSE).state == sla.BREACHED
    answered = run(at(2, 12), [inbound(at(2, 11, 0, 59))], opened_at=opened)
    assert only(answered, sla.FIRST_RESPONSE).state == sla.MET  # stop 11:00 == due 11:00


def test_a_clock_started_outside_hours_starts_at_the_next_working_instant():
    first = only(run(at(9, 8), opened_at=datetime(2026, 3, 7, 14, tzinfo=UTC)), "first_response")
    assert first.due_at == at(9, 11)  # Saturday → Monday 09:00 + 2 h


def test_due_time_at_the_end_of_a_working_interval_is_that_instant():
    targets = Targets(first_response=480)
    assert only(run(at(2, 10), targets=targets), sla.FIRST_RESPONSE).due_at == at(2, 17)


def test_several_response_cycles_each_judged_once():
    result = run(
        at(4, 9),
        [
            inbound(at(2, 10), 1),  # first response met (60 min)
            ask(at(2, 13), 2),  # next cycle starts
            ask(at(2, 13, 30), 3),  # chaser: changes nothing
            inbound(at(2, 15), 4),  # next response breached (due 14:00)
            ask(at(2, 16), 5, needs_response=False),  # starts nothing
        ],
    )
    following = only(result, sla.NEXT_RESPONSE)
    assert following.started_at == at(2, 13)
    assert (following.state, following.due_at, following.late_minutes) == (
        sla.BREACHED,
        at(2, 14),
        60,
    )
    assert only(result, sla.FIRST_RESPONSE).state == sla.MET


def test_a_cycle_answered_by_a_call_logged_as_inbound_stops():
    # Every inbound channel counts; the replay only sees the direction.
    assert only(run(at(2, 12), [inbound(at(2, 9, 45))]), sla.FIRST_RESPONSE).state == sla.MET


def test_edge_3_a_pause_in_the_middle_of_a_cycle_moves_the_due_time():
    result = run(at(2, 16), pauses=[(at(2, 10), at(2, 14))])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.due_at, first.state) == (at(2, 15), sla.BREACHED)
    assert result.sponsor_wait_minutes == 240


def test_edge_3_an_inbound_during_a_pause_still_stops_the_cycle():
    result = run(at(2, 16), [inbound(at(2, 12))], pauses=[(at(2, 10), at(2, 14))])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.used_minutes) == (sla.MET, 60)


def test_edge_3_while_paused_a_running_clock_has_no_due_time():
    result = run(at(2, 15), pauses=[(at(2, 10), None)])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.due_at, first.used_minutes) == (sla.PAUSED, None, 60)
    assert result.sponsor_wait_minutes == 300  # an open pause counts up to now


def test_edge_3_a_clock_due_before_the_pause_stays_breached():
    result = run(at(2, 15), pauses=[(at(2, 12), None)])
    assert only(result, sla.FIRST_RESPONSE).state == sla.BREACHED


def test_edge_4_an_ask_logged_during_a_pause_counts_from_the_pause_end():
    result = run(
        at(3, 17),
        [inbound(at(2, 9, 30), 1), ask(at(2, 11), 2)],
        pauses=[(at(2, 10), at(2, 15))],
    )
    following = only(result, sla.NEXT_RESPONSE)
    assert following.due_at == at(2, 16)


def test_edge_5_two_update_gaps_breach_once_each_however_long_the_silence():
    # Answered Mon 10:00; then silence until Wed 12:00; the 4 h update interval breaches for
    # the gap from Mon 10:00, which lasts; a gap is one clock, so one breach however long.
    result = run(at(6, 17), [inbound(at(2, 10), 1), inbound(at(4, 12), 2)])
    gaps = clocks(result, sla.UPDATE)
    assert [g.state for g in gaps] == [sla.BREACHED, sla.BREACHED]
    assert [g.due_at for g in gaps] == [at(2, 14), at(4, 16)]
    assert gaps[0].late_minutes == 180 + 480 + 180  # Mon 14–17, Tuesday, Wed 09–12


def test_edge_5_gaps_and_cycles_may_both_breach_over_the_same_silence():
    result = run(at(3, 17), [inbound(at(2, 9, 30), 1), ask(at(2, 10), 2)])
    assert only(result, sla.NEXT_RESPONSE).state == sla.BREACHED
    assert clocks(result, sla.UPDATE)[0].state == sla.BREACHED


def test_edge_6_resolve_voids_an_open_cycle_not_yet_due_and_keeps_a_late_one_breached():
    early = run(at(2, 12), lifecycle=[Lifecycle(at(2, 10), 1, "resolved")])
    assert only(early, sla.FIRST_RESPONSE).state == sla.VOID
    assert only(early, sla.RESOLUTION).state == sla.MET
    late = run(at(2, 15), lifecycle=[Lifecycle(at(2, 14), 1, "resolved")])
    assert only(late, sla.FIRST_RESPONSE).state == sla.BREACHED


def test_edge_6_resolution_is_breached_at_resolve_after_its_due_time():
    result = run(at(9, 12), [inbound(at(2, 10))], [Lifecycle(at(4, 12), 1, "resolved")])
    resolution = only(result, sla.RESOLUTION)
    assert (resolution.state, resolution.due_at) == (sla.BREACHED, at(3, 17))


def test_edge_6_cancel_voids_the_resolution_clock_before_due():
    result = run(at(2, 12), lifecycle=[Lifecycle(at(2, 10), 1, "cancelled")])
    assert only(result, sla.RESOLUTION).state == sla.VOID


def test_edge_6_an_inbound_on_a_resolved_request_stops_nothing():
    result = run(
        at(3, 12),
        [inbound(at(2, 10), 1), inbound(at(2, 15), 2)],
        [Lifecycle(at(2, 11), 1, "resolved")],
    )
    assert len(clocks(result, sla.UPDATE)) == 1  # no new gap from the late inbound


def test_edge_7_reopen_starts_a_new_resolution_clock_and_gap_but_no_cycle():
    result = run(
        at(3, 12),
        [inbound(at(2, 10), 1)],
        [Lifecycle(at(2, 11), 1, "resolved"), Lifecycle(at(2, 13), 2, "reopened")],
    )
    resolutions = clocks(result, sla.RESOLUTION)
    assert [r.state for r in resolutions] == [sla.MET, sla.RUNNING]
    assert resolutions[1].started_at == at(2, 13) and resolutions[1].target == 960
    assert [g.started_at for g in clocks(result, sla.UPDATE)] == [at(2, 10), at(2, 13)]
    assert clocks(result, sla.NEXT_RESPONSE) == []


def test_edge_8_a_missing_target_still_blocks_and_stops_but_is_not_judged():
    result = run(at(4, 12), [inbound(at(2, 15))], targets=Targets(resolution=960))
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.due_at) == (sla.UNTIMED, None)
    assert result.first_response_minutes == 360


def test_edge_9_opened_from_an_inbound_has_no_first_response_clock():
    result = run(at(2, 12), [inbound(at(2, 9))], raised_by_cdmo=True)
    assert clocks(result, sla.FIRST_RESPONSE) == []
    assert only(result, sla.UPDATE).started_at == at(2, 9)
    assert only(result, sla.RESOLUTION).state == sla.RUNNING


def test_edge_10_a_reclassified_request_keeps_running_targets_and_uses_new_ones_later():
    urgent = Targets(first_response=30, next_response=15, update=60, resolution=120)
    result = run(
        at(2, 16),
        [inbound(at(2, 10, 30), 1), ask(at(2, 12), 2)],
        [Lifecycle(at(2, 10), 1, "reclassified", urgent)],
    )
    assert only(result, sla.FIRST_RESPONSE).target == 120  # running at the change: kept
    assert only(result, sla.NEXT_RESPONSE).target == 15  # started after it: new target


def test_edge_12_the_warning_fires_when_the_remaining_target_equals_the_lead():
    first = only(run(at(2, 10), warning_lead=30), sla.FIRST_RESPONSE)
    assert first.warning_at == at(2, 10, 30)


def test_edge_12_an_escalation_fires_at_due_plus_n_only_while_the_clock_is_open():
    steps = [{"after_minutes": 60, "role": "owner"}, {"after_minutes": 240, "role": "admin"}]
    open_late = only(run(at(2, 17), escalation_steps=steps), sla.FIRST_RESPONSE)
    assert open_late.escalations == [(1, "owner", at(2, 12)), (2, "admin", at(2, 15))]
    answered = only(
        run(at(2, 17), [inbound(at(2, 13))], escalation_steps=steps), sla.FIRST_RESPONSE
    )
    assert answered.escalations == [(1, "owner", at(2, 12))]


def test_each_clock_is_keyed_by_kind_and_start():
    result = run(at(2, 12), [inbound(at(2, 9), 1), inbound(at(2, 9), 2)], raised_by_cdmo=True)
    keys = [(c.kind, c.started_at) for c in result.clocks]
    assert len(keys) == len(set(keys))


def test_edge_11_a_night_shift_is_entered_in_two_parts_and_each_minute_keeps_its_own_date():
    import pytest

    with pytest.raises(ValueError):  # an interval may not cross midnight
        clock.Calendar(time_zone="UTC", weekly=(((1320, 360),),) + ((),) * 6)
    # Mon 22:00–24:00 and Tue 00:00–06:00; Tuesday 2026-03-03 is an extra closed date, so only
    # Monday's two hours count: the minutes after midnight belong to the closed Tuesday.
    night = clock.Calendar(
        time_zone="UTC",
        weekly=(((1320, 1440),), ((0, 360),)) + ((),) * 5,
        closed_dates=frozenset({datetime(2026, 3, 3).date()}),
    )
    assert clock.working_minutes(night, at(2, 21), at(3, 7)) == 120


def test_edge_14_a_pause_after_a_met_clock_leaves_its_due_time():
    # Answered 09:30 (due 11:00); the sponsor then waits 10:00–12:00: the stopped clock's due
    # time stays; the update gap, still running, moves by the pause.
    result = run(at(2, 13), [inbound(at(2, 9, 30))], pauses=[(at(2, 10), at(2, 12))])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.due_at, first.used_minutes) == (sla.MET, at(2, 11), 30)
    assert only(result, sla.UPDATE).due_at == at(2, 15, 30)


def test_edge_14_an_open_pause_after_a_stopped_clock_does_not_erase_its_due_time():
    result = run(at(2, 13), [inbound(at(2, 9, 30))], pauses=[(at(2, 10), None)])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.due_at) == (sla.MET, at(2, 11))
    assert only(result, sla.UPDATE).due_at is None  # running, paused: due time unknown


def test_edge_14_a_clock_stopped_during_a_pause_keeps_the_due_time_it_had_at_its_stop():
    # 30 minutes used before the pause at 09:30; answered at 10:00 during it: 90 minutes left
    # at the stop, so due 11:30 — whether the pause is still open or ends later.
    for pause_end in (None, at(2, 12)):
        result = run(at(2, 13), [inbound(at(2, 10))], pauses=[(at(2, 9, 30), pause_end)])
        first = only(result, sla.FIRST_RESPONSE)
        assert (first.state, first.due_at, first.used_minutes) == (sla.MET, at(2, 11, 30), 30)


def test_edge_14_a_cycle_voided_at_resolve_keeps_a_due_time_and_later_pauses_do_not_move_it():
    result = run(
        at(2, 13),
        lifecycle=[Lifecycle(at(2, 10), 1, "resolved")],
        pauses=[(at(2, 9, 30), None)],
    )
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.due_at) == (sla.VOID, at(2, 11, 30))
    assert only(result, sla.RESOLUTION).due_at is not None


def test_edge_14_a_request_resolved_without_an_answer_has_no_first_response_time():
    resolved = run(at(2, 12), lifecycle=[Lifecycle(at(2, 10), 1, "resolved")])
    assert only(resolved, sla.FIRST_RESPONSE).state == sla.VOID
    assert resolved.first_response_minutes is None
    cancelled = run(at(2, 12), lifecycle=[Lifecycle(at(2, 10), 1, "cancelled")])
    assert cancelled.first_response_minutes is None


def test_edge_14_a_first_cycle_breached_then_resolved_unanswered_has_no_first_response_time():
    result = run(at(2, 15), lifecycle=[Lifecycle(at(2, 14), 1, "resolved")])
    assert only(result, sla.FIRST_RESPONSE).state == sla.BREACHED
    assert result.first_response_minutes is None
    untimed = run(at(2, 15), lifecycle=[Lifecycle(at(2, 14), 1, "resolved")], targets=Targets())
    assert untimed.first_response_minutes is None
    # An answer after the resolve stops nothing, so it gives no FRT either.
    late = run(at(2, 15), [inbound(at(2, 14, 30))], lifecycle=[Lifecycle(at(2, 14), 1, "resolved")])
    assert late.first_response_minutes is None


def test_edge_15_two_inbound_answers_in_one_minute_start_one_update_gap():
    result = run(at(2, 12), [inbound(at(2, 10, 0, 50), 1), inbound(at(2, 10, 0, 10), 2)])
    assert [g.started_at for g in clocks(result, sla.UPDATE)] == [at(2, 10)]
    assert only(result, sla.FIRST_RESPONSE).stopped_at == at(2, 10)


def test_edge_15_an_answer_and_a_resolve_in_one_minute_record_no_update_gap():
    result = run(
        at(2, 12), [inbound(at(2, 10, 0, 40), 2)], [Lifecycle(at(2, 10, 0, 20), 1, "resolved")]
    )
    assert only(result, sla.FIRST_RESPONSE).state == sla.MET  # the answer replays first
    assert result.first_response_minutes == 60
    assert clocks(result, sla.UPDATE) == []
    assert only(result, sla.RESOLUTION).state == sla.MET


def test_edge_15_resolve_reopen_resolve_inside_one_minute_leaves_the_first_resolves_clocks():
    result = run(
        at(2, 12),
        [inbound(at(2, 9, 30))],
        [
            Lifecycle(at(2, 11, 0, 10), 1, "resolved"),
            Lifecycle(at(2, 11, 0, 20), 2, "reopened"),
            Lifecycle(at(2, 11, 0, 40), 3, "resolved"),
        ],
    )
    resolution = only(result, sla.RESOLUTION)
    assert (resolution.started_at, resolution.stopped_at) == (at(2, 9), at(2, 11))
    assert (resolution.state, resolution.used_minutes) == (sla.MET, 120)
    gap = only(result, sla.UPDATE)
    assert (gap.started_at, gap.stopped_at, gap.state) == (at(2, 9, 30), at(2, 11), sla.VOID)


def test_edge_15_a_reopen_in_the_minute_of_the_resolve_still_starts_new_clocks():
    result = run(
        at(2, 12),
        [inbound(at(2, 9, 30))],
        [Lifecycle(at(2, 11), 1, "resolved"), Lifecycle(at(2, 11, 0, 30), 2, "reopened")],
    )
    assert [r.state for r in clocks(result, sla.RESOLUTION)] == [sla.MET, sla.RUNNING]
    assert [g.started_at for g in clocks(result, sla.UPDATE)] == [at(2, 9, 30), at(2, 11)]


def test_edge_15_lifecycle_events_of_one_minute_replay_after_its_communications_by_id():
    # The cancel has the lower id and the earlier second; the answer still replays first.
    result = run(
        at(2, 12), [inbound(at(2, 10, 0, 50), 9)], [Lifecycle(at(2, 10, 0, 5), 1, "cancelled")]
    )
    assert only(result, sla.FIRST_RESPONSE).state == sla.MET
    assert result.first_response_minutes == 60


def test_edge_15_an_answer_in_the_minute_a_pause_begins_stops_the_clock_before_the_pause():
    result = run(at(2, 13), [inbound(at(2, 10, 0, 30))], pauses=[(at(2, 10, 0, 10), None)])
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.used_minutes, first.due_at) == (sla.MET, 60, at(2, 11))


def test_edge_15_a_cycle_answered_in_the_minute_it_started_is_met_in_0_minutes():
    result = run(
        at(2, 12),
        [inbound(at(2, 9, 0, 50), 1), ask(at(2, 10, 0, 5), 2), inbound(at(2, 10, 0, 30), 3)],
        opened_at=at(2, 9, 0, 10),
    )
    first = only(result, sla.FIRST_RESPONSE)
    assert (first.state, first.used_minutes, first.due_at) == (sla.MET, 0, at(2, 11))
    assert result.first_response_minutes == 0
    following = only(result, sla.NEXT_RESPONSE)
    assert (following.state, following.used_minutes, following.started_at) == (
        sla.MET,
        0,
        at(2, 10),
    )


def test_edge_15_a_first_resolution_clock_stopped_in_its_opening_minute_is_met_in_0_minutes():
    result = run(
        at(2, 12), lifecycle=[Lifecycle(at(2, 9, 0, 30), 1, "resolved")], opened_at=at(2, 9)
    )
    resolution = only(result, sla.RESOLUTION)
    assert (resolution.state, resolution.used_minutes, resolution.stopped_at) == (
        sla.MET,
        0,
        at(2, 9),
    )
    assert result.first_response_minutes is None  # edge 14: resolved without an answer
