"""Citizens' feedback, pure (motcua.domain.feedback): deadlines by hand, who sees and acts, the steps, the
timers, and property tests that the feedback clock, the dossier clock and the index agree.

Hand-worked dates (March 2026 has no day off besides weekends): filed Mon 2 Mar 09:00 -> refuse by Wed 4 17:00
(Tue 3 = 1, Wed 4 = 2), request information by Mon 9 17:00 (5), handle by Mon 23 17:00 (15: Tue 3 .. Fri 6 = 4,
Mon 9 .. Fri 13 = 9, Mon 16 .. Fri 20 = 14, Mon 23 = 15).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.domain import actions as ev
from motcua.domain import clock, sla
from motcua.domain import feedback as f
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import Applicant, Dossier
from motcua.domain.feedback import steps as fs
from motcua.domain.feedback import timers as ft
from motcua.domain.index.config import FeedbackDeadlines
from motcua.domain.index.contribution import feedback_on_time
from motcua.domain.index.facts import FeedbackFacts, FeedbackStep
from motcua.domain.status import DossierStatus

AGENCY = "000.20.01.H36"
CITIZEN = Actor(subject="citizen-hang", role=Role.CITIZEN)
DESK = Actor(subject="officer-lan", role=Role.RECEPTION_OFFICER, agency_code=AGENCY)
PROCESSOR = Actor(subject="officer-minh", role=Role.PROCESSING_OFFICER, agency_code=AGENCY)
LEADER = Actor(subject="chairman-tuan", role=Role.AGENCY_LEADER, agency_code=AGENCY)
OTHER_LEADER = Actor(subject="chairman-x", role=Role.AGENCY_LEADER, agency_code="000.20.02.H36")
INSPECTOR = Actor(subject="inspector-1", role=Role.INSPECTOR)


def vn(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


def filed(category: f.FeedbackCategory = f.FeedbackCategory.PROCEDURE, at: datetime | None = None,
          official_subject: str | None = None) -> f.Feedback:
    fb, _ = fs.file_feedback(feedback_id="f" * 32, owner=CITIZEN, category=category, about=f.FeedbackAbout.AGENCY,
                            agency_code=AGENCY, title="Trễ hẹn", content="Hồ sơ trễ hẹn nhiều ngày.",
                            now=at or vn(3, 2), official_name="Ông Minh" if official_subject else None,
                            official_subject=official_subject)
    return fb


def step(fb: f.Feedback, action: f.FeedbackAction, who: Actor, at: datetime, **kwargs: object) -> f.Feedback:
    changed, _ = fs.apply_feedback_action(fb, action, fs.StepInput(**kwargs), who, at)  # type: ignore[arg-type]
    return changed


def test_deadlines_by_hand() -> None:
    d = fs.deadlines(filed())
    assert (d.refuse_by, d.request_info_by, d.handle_by, d.publish_by) == (vn(3, 4, 17), vn(3, 9, 17),
                                                                           vn(3, 23, 17), None)
    answered = step(filed(), f.FeedbackAction.ANSWER, DESK, vn(3, 20, 10), text="Đã xử lý xong.", public=True)
    assert fs.deadlines(answered).publish_by == vn(3, 24, 17)  # Mon 23 = 1, Tue 24 = 2


def test_classification_maps_to_the_index_kinds() -> None:
    kinds = {c: c.index_kind for c in f.FeedbackCategory}
    assert kinds == {f.FeedbackCategory.OFFICIAL_CONDUCT: ev.FeedbackKind.COMPLAINT,
                     f.FeedbackCategory.PROCEDURE: ev.FeedbackKind.COMPLAINT,
                     f.FeedbackCategory.SUGGESTION: ev.FeedbackKind.SUGGESTION,
                     f.FeedbackCategory.QUESTION: ev.FeedbackKind.QUESTION}


def test_a_complaint_about_an_official_is_for_leaders_and_inspectors_never_the_official() -> None:
    about_minh = filed(f.FeedbackCategory.OFFICIAL_CONDUCT, official_subject=PROCESSOR.subject)
    everyone = (CITIZEN, DESK, PROCESSOR, LEADER, OTHER_LEADER, INSPECTOR)
    readers = {a.subject for a in everyone if fs.can_read(about_minh, a)}
    assert readers == {CITIZEN.subject, LEADER.subject, INSPECTOR.subject}
    about_leader = filed(f.FeedbackCategory.OFFICIAL_CONDUCT, official_subject=LEADER.subject)
    assert not fs.can_read(about_leader, LEADER) and fs.can_read(about_leader, INSPECTOR)
    with pytest.raises(f.FeedbackActionNotAllowed):
        step(about_leader, f.FeedbackAction.ANSWER, LEADER, vn(3, 3), text="Tôi không sai.")
    assert step(about_leader, f.FeedbackAction.ANSWER, INSPECTOR, vn(3, 3), text="Thanh tra đã xác minh.").status \
        is f.FeedbackStatus.ANSWERED
    # Ordinary feedback: every official of the agency, read-only inspectors, not another agency.
    plain = filed()
    assert all(fs.can_read(plain, a) for a in (CITIZEN, DESK, PROCESSOR, LEADER, INSPECTOR))
    assert not fs.can_read(plain, OTHER_LEADER)
    assert not fs.can_read(plain, Actor(subject="someone-else", role=Role.CITIZEN))
    with pytest.raises(f.FeedbackActionNotAllowed):
        step(plain, f.FeedbackAction.ANSWER, INSPECTOR, vn(3, 3), text="Không phải việc của thanh tra.")


def test_steps_move_the_status_and_are_judged_by_their_limits() -> None:
    fb = step(filed(), f.FeedbackAction.REQUEST_INFO, DESK, vn(3, 9, 17), text="Gửi mã hồ sơ")
    assert fb.status is f.FeedbackStatus.INFO_REQUESTED
    assert fb.steps[-1].timeliness is clock.Timeliness.ON_TIME  # Mon 9 17:00, the limit itself
    with pytest.raises(f.FeedbackInfoAlreadyRequested):
        step(step(fb, f.FeedbackAction.PROVIDE_INFO, CITIZEN, vn(3, 10), text="Mã hồ sơ ..."),
             f.FeedbackAction.REQUEST_INFO, DESK, vn(3, 11), text="Lần nữa")
    with pytest.raises(f.FeedbackActionNotAllowed):  # the citizen replies, not an official
        step(fb, f.FeedbackAction.PROVIDE_INFO, DESK, vn(3, 10), text="...")
    fb = step(fb, f.FeedbackAction.PROVIDE_INFO, CITIZEN, vn(3, 10), text="Mã hồ sơ ...")
    assert fb.status is f.FeedbackStatus.IN_PROGRESS
    fb = step(fb, f.FeedbackAction.ANSWER, PROCESSOR, vn(3, 24, 8), text="Đã xử lý.", public=False)
    assert fb.steps[-1].step is f.FeedbackStep.HANDLE and fb.steps[-1].timeliness is clock.Timeliness.LATE
    with pytest.raises(f.FeedbackAnswerNotPublic):
        step(fb, f.FeedbackAction.PUBLISH, LEADER, vn(3, 24, 9), question_summary="Câu hỏi về thời hạn")
    rated = step(fb, f.FeedbackAction.RATE, CITIZEN, vn(3, 25), satisfied=False)
    assert rated.rating is not None and rated.rating.satisfied is False and rated.status is f.FeedbackStatus.ANSWERED
    with pytest.raises(f.FeedbackAlreadyRated):
        step(rated, f.FeedbackAction.RATE, CITIZEN, vn(3, 26), satisfied=True)
    with pytest.raises(f.FeedbackStepNotAllowed):
        step(rated, f.FeedbackAction.REFUSE, DESK, vn(3, 26), text="Muộn rồi")
    assert not fs.on_time(rated, vn(3, 30))


def test_index_events_for_the_dossier_trail() -> None:
    fb, event = fs.file_feedback(feedback_id="a" * 32, owner=CITIZEN, category=f.FeedbackCategory.QUESTION,
                                about=f.FeedbackAbout.DOSSIER, agency_code=AGENCY, title="Hỏi", content="Bao giờ xong?",
                                now=vn(3, 2), dossier_id="d" * 32)
    assert fs.index_event_details(fb, event) == (ev.FEEDBACK_RECEIVE, {"feedback_id": fb.id, "kind": "question"})
    refused, refusal = fs.apply_feedback_action(fb, f.FeedbackAction.REFUSE,
                                                fs.StepInput(text="Không thuộc thẩm quyền"), DESK, vn(3, 3))
    assert fs.index_event_details(refused, refusal) == (ev.FEEDBACK_RESPOND,
                                                       {"feedback_id": fb.id, "outcome": "refused"})


def test_timers_of_each_owed_step() -> None:
    fb = filed()
    timers = [(t.step.value, t.timer.kind, t.at) for t in ft.pending_timers(fb)]
    assert timers == [
        ("refuse", "warn_2wd", vn(3, 2, 17)), ("refuse", "warn_1wd", vn(3, 3, 17)),
        ("refuse", "last_day", vn(3, 4, 7, 30)), ("refuse", "breach", vn(3, 4, 17)),
        ("handle", "warn_2wd", vn(3, 19, 17)), ("handle", "warn_1wd", vn(3, 20, 17)),
        ("handle", "last_day", vn(3, 23, 7, 30)), ("handle", "breach", vn(3, 23, 17))]
    # A sweep that ran late fires the latest due one and supersedes the earlier, once.
    firing = ft.fire(fb, vn(3, 4, 8))
    assert firing is not None and firing.timer.key.startswith("refuse.last_day@")
    assert [t.timer.kind for t in firing.superseded] == ["warn_2wd", "warn_1wd"]
    assert firing.envelope.type == "feedback.sla_warning" and firing.envelope.data.step == "refuse"
    assert ft.fire(firing.feedback, vn(3, 4, 16, 59)) is None
    breach = ft.fire(firing.feedback, vn(3, 4, 17))
    assert breach is not None and breach.timer.is_breach and breach.envelope.type == "feedback.sla_breached"
    # Once information was asked for, only the handling deadline runs; after a public answer, publication.
    asked = step(breach.feedback, f.FeedbackAction.REQUEST_INFO, DESK, vn(3, 5), text="Thêm thông tin")
    assert {t.step for t in ft.pending_timers(asked)} == {f.FeedbackStep.HANDLE}
    answered = step(asked, f.FeedbackAction.ANSWER, DESK, vn(3, 20, 10), text="Trả lời", public=True)
    assert [(t.timer.kind, t.at) for t in ft.pending_timers(answered)] == [
        ("warn_2wd", vn(3, 20, 17)), ("warn_1wd", vn(3, 23, 17)), ("last_day", vn(3, 24, 7, 30)),
        ("breach", vn(3, 24, 17))]
    published = step(answered, f.FeedbackAction.PUBLISH, DESK, vn(3, 23, 9), question_summary="Hỏi về thời hạn")
    assert ft.pending_timers(published) == [] and ft.index_keys(published) is None
    pk, sk = ft.index_keys(answered)  # type: ignore[misc]
    assert pk.startswith("TIMER#") and sk.startswith("2026-03-20T10:00:00.000000Z#")


# --------------------------------------------------------------------------------------------------------
# Properties: one clock


COVERED = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(VN_TZ))
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def dossier_received(at: datetime, working_days: int) -> Dossier:
    return Dossier(id="d" * 32, receipt_code="X", procedure_code="1.000001", procedure_name_vi="Thủ tục",
                   agency_code=AGENCY, channel="counter", status=DossierStatus.PROCESSING,
                   applicant=Applicant(full_name="A", national_id="079203001234", phone="0912345678", address="x"),
                   owner="c", submitted_at=at, received_at=at, appointment_at=at, due_at=at,
                   time_limit={"value": str(working_days), "unit": "working_days"}, rule_version="x", version=1,
                   updated_at=at)


@PROPERTY_SETTINGS
@given(received=COVERED)
def test_feedback_deadlines_are_the_dossier_clocks_deadlines(received: datetime) -> None:
    """Each step's limit is what the dossier clock gives a dossier of that many working days received then."""
    fb = filed(at=received)
    d = fs.deadlines(fb)
    limits = fs.legal_limits(received)
    for due, days in ((d.refuse_by, limits.refuse), (d.request_info_by, limits.request_info),
                      (d.handle_by, limits.handle)):
        dossier = dossier_received(received, days)
        assert due == clock.deadline_for(dossier.legal_time_limit, received, agency=dossier.agency_code)
        assert clock.working_days_between(received, due, agency=AGENCY) == Decimal(days)


@PROPERTY_SETTINGS
@given(received=COVERED)
def test_the_handling_timers_are_a_dossiers_timers(received: datetime) -> None:
    """The same mechanism: a feedback's handling step fires at the instants a dossier due then would."""
    fb = filed(at=received)
    handle_by = fs.deadlines(fb).handle_by
    dossier = dossier_received(received, 15).model_copy(update={"due_at": handle_by})
    ours = [(t.timer.kind, t.at) for t in ft.timers_for(fb) if t.step is f.FeedbackStep.HANDLE]
    assert ours == [(t.kind, t.at) for t in sla.timers_for(dossier, sla.sla_config().feedback)]


@st.composite
def feedback_histories(draw: st.DrawFn) -> tuple[f.Feedback, datetime]:
    received = draw(COVERED)
    fb = filed(at=received)
    at = received
    path = draw(st.sampled_from(["refuse", "answer", "info_answer", "answer_publish", "open", "info_open"]))

    def later() -> datetime:
        nonlocal at
        at = at + timedelta(minutes=draw(st.integers(min_value=1, max_value=40 * 24 * 60)))
        return at

    if path == "refuse":
        fb = step(fb, f.FeedbackAction.REFUSE, DESK, later(), text="Không thuộc thẩm quyền")
    if path.startswith("info"):
        fb = step(fb, f.FeedbackAction.REQUEST_INFO, DESK, later(), text="Thêm thông tin")
    if path in ("answer", "info_answer", "answer_publish"):
        fb = step(fb, f.FeedbackAction.ANSWER, DESK, later(), text="Trả lời", public=True)
    if path == "answer_publish":
        fb = step(fb, f.FeedbackAction.PUBLISH, DESK, later(), question_summary="Câu hỏi")
    as_of = at + timedelta(minutes=draw(st.integers(min_value=0, max_value=30 * 24 * 60)))
    return fb, min(as_of, datetime(2026, 12, 31, tzinfo=VN_TZ))


_OUTCOMES = {f.FeedbackStep.REFUSE: ev.FeedbackOutcome.REFUSED,
             f.FeedbackStep.REQUEST_INFO: ev.FeedbackOutcome.REQUEST_INFO,
             f.FeedbackStep.HANDLE: ev.FeedbackOutcome.HANDLED, f.FeedbackStep.PUBLISH: ev.FeedbackOutcome.PUBLISHED}


@PROPERTY_SETTINGS
@given(case=feedback_histories())
def test_the_handlings_verdict_is_the_indexs(case: tuple[f.Feedback, datetime]) -> None:
    """Indicator 5.2 judged from the dossier's trail (the index) equals the feedback's own verdict."""
    fb, as_of = case
    facts = FeedbackFacts(feedback_id=fb.id, kind=fb.index_kind, received_at=fb.received_at,
                          steps=tuple(FeedbackStep(outcome=_OUTCOMES[s.step], at=s.at) for s in fb.steps),
                          answer_public=fb.answer is not None and fb.answer.public and fb.answer.answered_at <= as_of)
    deadlines = fs.legal_limits(fb.received_at)
    assert isinstance(deadlines, FeedbackDeadlines)
    assert fs.on_time(fb, as_of) == feedback_on_time(facts, as_of, AGENCY, deadlines)


def test_timers_are_aware_and_in_utc_order() -> None:
    fb = filed(at=datetime(2026, 3, 2, 2, tzinfo=UTC))  # 09:00 in Vietnam
    keys = [t.key for t in ft.pending_timers(fb)]
    assert keys[0] == "refuse.warn_2wd@2026-03-04T10:00:00.000000Z" and len(set(keys)) == len(keys)
