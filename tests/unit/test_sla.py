"""SLA timer points (motcua.domain.sla), with every expected instant worked by hand.

Calendar facts used (docs/domain.md §5.6, 2026 schedule): March 2026 has no day off besides weekends (Sun 1, Sat 7,
Sun 8, Sat 14, Sun 15 ...); Mon 27 Apr (nghỉ bù), Thu 30 Apr and Fri 1 May 2026 are days off. Office hours
07:30–11:30 and 13:30–17:00: a working day is 7 h 30 of office time. The clock does not count the reception
day and ends a limit of N working days at 17:00 on the N-th working day after it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from motcua.domain import clock, sla
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Apology, Applicant, Dossier, PauseRecord
from motcua.domain.status import DossierStatus

AGENCY = "000.20.01.H36"


def vn(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


def dossier(received: datetime, days: int | str = 5, *, pauses: tuple[PauseRecord, ...] = (),
            status: DossierStatus = DossierStatus.PROCESSING, unit: str = "working_days", **extra) -> Dossier:
    """A received dossier whose due date comes from the clock (with its pauses), as the workflow sets it."""
    limit = clock.TimeLimit(value=days, unit=clock.TimeUnit(unit))  # type: ignore[arg-type]
    due = clock.deadline_for(limit, received, [p.to_clock() for p in pauses], agency=AGENCY)
    fields = {
        "id": "d" * 32, "receipt_code": f"{AGENCY}-260302-0001", "procedure_code": "1.001193",
        "procedure_name_vi": "Đăng ký khai sinh", "agency_code": AGENCY, "channel": Channel.ONLINE,
        "status": status,
        "applicant": Applicant(full_name="Nguyễn Thị Hằng", national_id="079203001234", phone="0912345678",
                               address="Đà Lạt"),
        "owner": "citizen-hang", "submitted_at": received, "received_at": received, "appointment_at": due,
        "due_at": due, "time_limit": {"value": str(days), "unit": unit}, "pauses": pauses,
        "rule_version": "2025-07-01", "version": 3, "updated_at": received,
    }
    fields.update(extra)
    return Dossier(**fields)


def points(d: Dossier) -> list[tuple[str, datetime]]:
    return [(t.kind, t.at) for t in sla.pending_timers(d)]


def test_default_points_of_a_five_day_dossier() -> None:
    # Given a dossier received Mon 2 Mar 09:00 with 5 working days:
    # Tue 3 (1), Wed 4 (2), Thu 5 (3), Fri 6 (4), Mon 9 (5) -> due Mon 9 Mar 17:00.
    d = dossier(vn(3, 2))
    assert d.due_at == vn(3, 9, 17)
    # Then 2 working days before = Thu 5 17:00, 1 before = Fri 6 17:00 (Sat/Sun skipped), the last day
    # opens Mon 9 07:30 and the breach is at Mon 9 17:00.
    assert points(d) == [("warn_2wd", vn(3, 5, 17)), ("warn_1wd", vn(3, 6, 17)), ("last_day", vn(3, 9, 7, 30)),
                         ("breach", vn(3, 9, 17))]


def test_points_skip_holidays() -> None:
    # Received Wed 22 Apr 10:00, 5 working days: Thu 23 (1), Fri 24 (2), [Sat 25, Sun 26, Mon 27 nghỉ bù],
    # Tue 28 (3), Wed 29 (4), [Thu 30 Apr, Fri 1 May, weekend], Mon 4 May (5) -> due Mon 4 May 17:00.
    d = dossier(vn(4, 22, 10))
    assert d.due_at == vn(5, 4, 17)
    # 1 working day before Mon 4 May is Wed 29 Apr (30 Apr and 1 May are off); 2 before is Tue 28 Apr.
    assert points(d) == [("warn_2wd", vn(4, 28, 17)), ("warn_1wd", vn(4, 29, 17)), ("last_day", vn(5, 4, 7, 30)),
                         ("breach", vn(5, 4, 17))]


def test_points_before_reception_are_dropped() -> None:
    # 1 working day from Mon 2 Mar 09:00 -> due Tue 3 Mar 17:00. 2 days before would be Fri 27 Feb (before
    # reception): dropped. 1 day before = Mon 2 17:00 (after reception 09:00): kept.
    short = dossier(vn(3, 2), 1)
    assert points(short) == [("warn_1wd", vn(3, 2, 17)), ("last_day", vn(3, 3, 7, 30)), ("breach", vn(3, 3, 17))]
    # Same-day procedure received Mon 2 Mar 09:00 (before the 15:00 cut-off) -> due Mon 2 Mar 17:00; its
    # last day opened at 07:30, before reception: only the breach.
    same_day = dossier(vn(3, 2), 0, unit="same_working_day_15h_cutoff")
    assert points(same_day) == [("breach", vn(3, 2, 17))]


def test_next_timer_is_the_latest_due_or_the_earliest_to_come() -> None:
    d = dossier(vn(3, 2))  # due Mon 9 Mar 17:00
    assert sla.next_timer(d, vn(3, 3)).kind == "warn_2wd"  # nothing due yet: the first to come
    assert sla.next_timer(d, vn(3, 3)).at == vn(3, 5, 17)
    assert sla.next_timer(d, vn(3, 5, 17)).kind == "warn_2wd"  # due exactly at its instant
    assert sla.next_timer(d, vn(3, 5, 16, 59)).at == vn(3, 5, 17)  # one minute early: still to come
    # Mon 9 08:00: warn_2wd, warn_1wd and last_day are all due; the latest supersedes the others.
    assert sla.next_timer(d, vn(3, 9, 8)).kind == "last_day"


def test_firing_records_the_key_and_supersedes_earlier_points() -> None:
    d = dossier(vn(3, 2))
    assert sla.fire(d, vn(3, 5, 16, 59)) is None  # nothing due one minute before warn_2wd
    firing = sla.fire(d, vn(3, 9, 8))
    assert firing is not None
    assert firing.timer.kind == "last_day"
    assert [t.kind for t in firing.superseded] == ["warn_2wd", "warn_1wd"]
    # Keys carry the due date in UTC: Mon 9 Mar 17:00 +07 = 10:00Z.
    assert firing.updates["sla_fired"] == ("warn_2wd@2026-03-09T10:00:00.000000Z",
                                           "warn_1wd@2026-03-09T10:00:00.000000Z",
                                           "last_day@2026-03-09T10:00:00.000000Z")
    assert firing.envelope.type == "dossier.sla_warning"
    assert firing.envelope.data.kind == "last_day" and firing.envelope.data.due_at == vn(3, 9, 17)
    assert firing.event.action == "sla_warning" and firing.event.details["superseded"] == ["warn_2wd", "warn_1wd"]
    assert not firing.needs_apology
    after = sla.apply_firing(d, firing, vn(3, 9, 8))
    assert after.version == d.version + 1
    # Once fired, only the breach is left, and it is not due before Mon 9 17:00.
    assert points(after) == [("breach", vn(3, 9, 17))]
    assert sla.fire(after, vn(3, 9, 16, 59)) is None
    # Firing is deterministic: the same timer gives the same event and envelope ids (idempotency).
    again = sla.fire(d, vn(3, 9, 8, 30))
    assert again is not None and (again.event.event_id, again.envelope.id) == (firing.event.event_id,
                                                                                firing.envelope.id)


def test_breach_flags_overdue_and_asks_for_an_apology_once() -> None:
    d = dossier(vn(3, 2))
    fired = ("warn_2wd@2026-03-09T10:00:00.000000Z", "warn_1wd@2026-03-09T10:00:00.000000Z",
             "last_day@2026-03-09T10:00:00.000000Z")
    d = d.model_copy(update={"sla_fired": fired})
    firing = sla.fire(d, vn(3, 9, 17, 5))
    assert firing is not None and firing.timer.kind == "breach"
    assert firing.updates["overdue_since"] == vn(3, 9, 17)  # overdue since the deadline, not the sweep
    assert firing.envelope.type == "dossier.sla_breached" and firing.event.action == "sla_breach"
    assert firing.needs_apology
    after = sla.apply_firing(d, firing, vn(3, 9, 17, 5))
    assert sla.next_timer(after, vn(3, 20)) is None  # late stays late: nothing more fires
    assert sla.fire(after, vn(3, 20)) is None


def apologised(d: Dossier, issued: datetime, new: datetime) -> Dossier:
    """As the workflow's apology leaves it: the new appointment promised, the old one kept on the letter."""
    return d.model_copy(update={"appointment_at": new, "apology": Apology(
        issued_at=issued, reason="Cần xác minh thêm", original_appointment_at=d.appointment_at,
        new_appointment_at=new, issued_by="officer-minh")})


def test_the_new_appointment_is_watched_after_the_breach_and_a_late_sweep_still_fires_the_breach_first() -> None:
    # Due Mon 9 Mar 17:00; the breach fired and the system drafted the apology for Fri 13 Mar 17:00.
    fired_all = tuple(f"{k}@2026-03-09T10:00:00.000000Z" for k in ("warn_2wd", "warn_1wd", "last_day", "breach"))
    late = apologised(dossier(vn(3, 2)), vn(3, 9, 17, 5), vn(3, 13, 17)).model_copy(
        update={"sla_fired": fired_all, "overdue_since": vn(3, 9, 17)})
    # One working day before the new appointment: Thu 12 Mar 17:00; then the appointment itself.
    assert points(late) == [("new_appointment_1wd", vn(3, 12, 17)), ("new_appointment_missed", vn(3, 13, 17))]
    warn = sla.fire(late, vn(3, 12, 17, 1))
    assert warn is not None and warn.envelope.type == "dossier.sla_warning"
    assert (warn.timer.kind, warn.envelope.data.due_at) == ("new_appointment_1wd", vn(3, 13, 17))
    assert set(warn.updates) == {"sla_fired"} and not warn.needs_apology  # the breach is what counts
    after = sla.apply_firing(late, warn, vn(3, 12, 17, 1))
    missed = sla.fire(after, vn(3, 13, 17))
    assert missed is not None and missed.timer.kind == "new_appointment_missed"
    assert sla.next_timer(sla.apply_firing(after, missed, vn(3, 13, 17)), vn(3, 20)) is None
    assert sla.fire(late.model_copy(update={"finished_at": vn(3, 12), "status": DossierStatus.DECIDED}),
                    vn(3, 13, 17)) is None  # a result in time ends the watch

    # An officer apologised early (Fri 6 Mar 10:00, new date Tue 10 Mar 17:00) and no sweep ran until Tue 10
    # 18:00: the law's breach fires first (it is what the index counts), the promise's timers after it.
    early = apologised(dossier(vn(3, 2)), vn(3, 6, 10), vn(3, 10, 17))
    first = sla.fire(early, vn(3, 10, 18))
    assert first is not None and first.timer.kind == "breach" and first.updates["overdue_since"] == vn(3, 9, 17)
    assert not first.needs_apology  # the officer's apology stands
    then = sla.fire(sla.apply_firing(early, first, vn(3, 10, 18)), vn(3, 10, 18))
    assert then is not None and then.timer.kind == "new_appointment_missed"
    assert [t.kind for t in then.superseded] == ["new_appointment_1wd"]


def test_no_timers_when_finished_paused_or_not_received() -> None:
    d = dossier(vn(3, 2))
    assert sla.next_timer(d.model_copy(update={"finished_at": vn(3, 4), "status": DossierStatus.DECIDED}),
                          vn(3, 10)) is None
    assert sla.next_timer(d.model_copy(update={"status": DossierStatus.STOPPED}), vn(3, 10)) is None
    assert sla.next_timer(d.model_copy(update={"received_at": None, "status": DossierStatus.SUBMITTED}),
                          vn(3, 10)) is None
    paused = d.model_copy(update={"status": DossierStatus.SUPPLEMENT_REQUESTED,
                                  "pauses": (PauseRecord(start=vn(3, 4), reason="supplement"),)})
    assert sla.next_timer(paused, vn(3, 10)) is None  # an open pause holds the clock
    assert sla.index_keys(paused) is None


def test_a_pause_moves_every_point() -> None:
    # Received Mon 2 Mar 09:00, 5 days (due Mon 9 17:00). Supplement requested Wed 4 09:00, received Mon 9
    # 09:00: paused office time = Wed 4 09:00-17:00 (2h30 + 3h30 = 6h) + Thu 5 (7h30) + Fri 6 (7h30)
    # + Mon 9 07:30-09:00 (1h30) = 22h30 = 3 working days -> due Thu 12 Mar 17:00.
    pause = PauseRecord(start=vn(3, 4), end=vn(3, 9), reason="supplement")
    d = dossier(vn(3, 2), pauses=(pause,))
    assert d.due_at == vn(3, 12, 17)
    # The remaining time at the pause (3.8 days) was above every threshold: all points armed, moved by 3 days.
    assert points(d) == [("warn_2wd", vn(3, 10, 17)), ("warn_1wd", vn(3, 11, 17)), ("last_day", vn(3, 12, 7, 30)),
                         ("breach", vn(3, 12, 17))]


def test_a_warning_announced_before_a_pause_is_not_repeated_after_it() -> None:
    # Received Mon 2 Mar 09:00, due Mon 9 17:00; warn_2wd fired Thu 5 17:00. Supplement requested Fri 6
    # 09:00 (1.8 days left), received Wed 11 09:00: paused = Fri 6 (6h) + Mon 9 + Tue 10 (15h) + Wed 11
    # 07:30-09:00 (1h30) = 22h30 = 3 days -> due Thu 12 Mar 17:00.
    pause = PauseRecord(start=vn(3, 6), end=vn(3, 11), reason="supplement")
    d = dossier(vn(3, 2), pauses=(pause,), sla_fired=("warn_2wd@2026-03-09T10:00:00.000000Z",))
    assert d.due_at == vn(3, 12, 17)
    # The new warn_2wd (Tue 10 17:00) lies before the restart (Wed 11 09:00): already announced, not again.
    # warn_1wd (Wed 11 17:00) was never announced: armed at its moved instant.
    assert points(d) == [("warn_1wd", vn(3, 11, 17)), ("last_day", vn(3, 12, 7, 30)), ("breach", vn(3, 12, 17))]
    # Had the pause begun before the sweep got to warn_2wd (not fired), it would fire now: none is missed.
    unfired = d.model_copy(update={"sla_fired": ()})
    assert sla.next_timer(unfired, vn(3, 11, 9, 5)).kind == "warn_2wd"


def test_the_index_key_follows_the_next_timer() -> None:
    d = dossier(vn(3, 2))
    pk, sk = sla.index_keys(d)
    assert pk.startswith("TIMER#") and 0 <= int(pk.removeprefix("TIMER#")) < sla.sla_config().shards
    # warn_2wd Thu 5 Mar 17:00 +07 = 10:00Z.
    assert sk == f"2026-03-05T10:00:00.000000Z#{d.id}"
    assert sk <= sla.sweep_upper_bound(vn(3, 5, 17)) and sk > sla.sweep_upper_bound(vn(3, 5, 16, 59, ))
    assert sla.index_keys(d.model_copy(update={"finished_at": vn(3, 4), "status": DossierStatus.DECIDED})) is None
    # Shards spread dossiers (not all in one partition).
    assert len({sla.timer_shard(f"{i:032x}", 8) for i in range(64)}) == 8


def test_sort_keys_order_like_time_across_zones() -> None:
    early = sla.timer_sort_key(datetime(2026, 3, 5, 9, 59, 59, 999999, tzinfo=UTC), "b")
    late = sla.timer_sort_key(vn(3, 5, 17), "a")  # = 10:00:00Z
    assert early < late <= sla.sweep_upper_bound(datetime(2026, 3, 5, 10, tzinfo=UTC))


def test_extension_rule() -> None:
    d = dossier(vn(3, 2))  # 5 working days, due Mon 9 Mar 17:00
    # Default: another period as long as the limit (5 days), counted from the breach instant's day:
    # Tue 10 (1) ... Fri 13 (4), Mon 16 (5) -> Mon 16 Mar 17:00.
    assert sla.extension_appointment(d, vn(3, 9, 17, 5)) == vn(3, 16, 17)
    # A 15-day procedure is capped at 10 more working days: from Mon 23 Mar (its due date, received Mon 2):
    # Tue 24 .. Fri 27 (4), Mon 30 .. Fri 3 Apr (9), Mon 6 Apr (10) -> Mon 6 Apr 17:00.
    long = dossier(vn(3, 2), 15)
    assert long.due_at == vn(3, 23, 17)
    assert sla.extension_appointment(long, vn(3, 23, 17, 5)) == vn(4, 6, 17)
    # Fixed rule, 2 days: Tue 10, Wed 11 -> Wed 11 Mar 17:00.
    fixed = sla.SlaPolicy(extension=sla.ExtensionRule(mode="fixed_working_days", working_days=2))
    assert sla.extension_appointment(d, vn(3, 9, 17, 5), fixed) == vn(3, 11, 17)
    # An appointment later than the due date (a new one after a supplement) is the base: due Mon 9, slip
    # says Wed 11 17:00 -> 5 days after Wed 11: Thu 12, Fri 13, Mon 16, Tue 17, Wed 18 -> Wed 18 Mar 17:00.
    later = d.model_copy(update={"appointment_at": vn(3, 11, 17)})
    assert sla.extension_appointment(later, vn(3, 9, 17, 5)) == vn(3, 18, 17)


def test_policies_by_procedure_then_agency_then_default() -> None:
    three = sla.SlaPolicy(points=(sla.TimerPoint("warn_3wd", working_days_before=3),))
    quiet = sla.SlaPolicy(points=())
    config = sla.SlaConfig(by_procedure={"1.001193": three},
                           by_agency={AGENCY: sla.SlaPolicy(points=(), auto_apology=False)})
    assert config.policy_for("1.001193", AGENCY) == three
    assert config.policy_for("9.999999", AGENCY) == sla.SlaPolicy(points=(), auto_apology=False)
    assert config.policy_for("9.999999", "elsewhere") == sla.SlaPolicy()
    d = dossier(vn(3, 2))
    # 3 working days before Mon 9 17:00: Fri 6 (1), Thu 5 (2), Wed 4 (3) -> Wed 4 Mar 17:00.
    assert [(t.kind, t.at) for t in sla.pending_timers(d, three)] == [("warn_3wd", vn(3, 4, 17)),
                                                                        ("breach", vn(3, 9, 17))]
    assert [t.kind for t in sla.pending_timers(d, quiet)] == ["breach"]
    previous = sla.set_sla_config(config)
    try:
        assert [t.kind for t in sla.pending_timers(d)] == ["warn_3wd", "breach"]
    finally:
        sla.set_sla_config(previous)


@pytest.mark.parametrize("bad", [
    {"kind": "breach", "working_days_before": 1},
    {"kind": "x", "working_days_before": 1, "start_of_last_day": True},
    {"kind": "x"},
    {"kind": "x", "working_days_before": 0},
])
def test_invalid_points_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        sla.TimerPoint(**bad)


def test_standing_of_open_dossiers() -> None:
    d = dossier(vn(3, 2))  # due Mon 9 Mar 17:00
    assert sla.standing(d, vn(3, 3)) == "on_track"  # Tue 3: 2 working days after it end Thu 5 17:00
    # Thu 5 10:00: the close of the 2nd working day after Thu 5 is Mon 9 17:00 (Fri 6, Mon 9): at risk.
    assert sla.standing(d, vn(3, 5, 10)) == "at_risk"
    assert sla.standing(d, vn(3, 4, 10)) == "on_track"  # Wed 4: horizon Fri 6 17:00
    assert sla.standing(d, vn(3, 9, 8)) == "due_today"
    assert sla.standing(d, vn(3, 9, 17)) == "due_today"  # at the deadline itself: not yet late
    assert sla.standing(d, vn(3, 9, 17, 1)) == "overdue"
    assert sla.standing(d.model_copy(update={"overdue_since": vn(3, 9, 17)}), vn(3, 3)) == "overdue"
    paused = d.model_copy(update={"pauses": (PauseRecord(start=vn(3, 4), reason="supplement"),)})
    assert sla.standing(paused, vn(3, 20)) == "paused"
    assert sla.standing(d.model_copy(update={"finished_at": vn(3, 4), "status": DossierStatus.DECIDED}),
                        vn(3, 20)) == "closed"
