"""The transition table against docs/domain.md §2.3, every pair, plus properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.status import (
    TRANSITIONS,
    DossierStatus,
    ForbiddenTransition,
    can_transition,
    ensure_transition,
)

# docs/domain.md §2.3, written out again by hand (not imported) so a typo in the table fails here:
# 1→2,3,7; 2→4,5,7; 4→4,5,6,8,9,7; 5→4,8,7; 6→4,9,8; 7→8; 9→10; 3,8,10 terminal.
ALLOWED = {
    (1, 2), (1, 3), (1, 7),
    (2, 4), (2, 5), (2, 7),
    (4, 4), (4, 5), (4, 6), (4, 8), (4, 9), (4, 7),
    (5, 4), (5, 8), (5, 7),
    (6, 4), (6, 9), (6, 8),
    (7, 8),
    (9, 10),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(range(1, 11), repeat=2)))
def test_every_pair_of_statuses_follows_the_domain_table(current: int, new: int) -> None:
    # Given two statuses, When asked whether the move is allowed, Then it is exactly when docs/domain.md says so
    assert can_transition(DossierStatus(current), DossierStatus(new)) is ((current, new) in ALLOWED)


def test_terminal_statuses_are_refused_refused_stopped_returned() -> None:
    assert {s for s in DossierStatus if s.is_terminal} == {
        DossierStatus.REFUSED, DossierStatus.STOPPED, DossierStatus.RETURNED}


def test_vietnamese_names_are_the_portal_names() -> None:
    assert DossierStatus(1).name_vi == "Mới đăng ký"
    assert DossierStatus(5).name_vi == "Yêu cầu bổ sung giấy tờ"
    assert DossierStatus(10).name_vi == "Đã trả kết quả"


@given(st.sampled_from(list(DossierStatus)), st.sampled_from(list(DossierStatus)))
def test_ensure_transition_raises_exactly_when_forbidden(current: DossierStatus, new: DossierStatus) -> None:
    if can_transition(current, new):
        ensure_transition(current, new)
    else:
        with pytest.raises(ForbiddenTransition) as raised:
            ensure_transition(current, new)
        assert raised.value.code == "DOSSIER_FORBIDDEN_TRANSITION"
        assert raised.value.details["allowed"] == sorted(int(s) for s in TRANSITIONS[current])


@given(st.lists(st.sampled_from(list(DossierStatus)), min_size=1, max_size=30))
def test_any_walk_through_the_table_ends_in_a_reachable_state(walk: list[DossierStatus]) -> None:
    # Following only allowed moves from "submitted", no terminal status is ever left again.
    state = DossierStatus.SUBMITTED
    for wanted in walk:
        if can_transition(state, wanted):
            assert not state.is_terminal
            state = wanted
    assert state in DossierStatus
