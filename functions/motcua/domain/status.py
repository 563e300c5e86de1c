"""Dossier status codes (national portal *TrangThaiHoSo*) and the one transition table.

docs/domain.md §2 (LIKELY). Anything not listed in ``TRANSITIONS`` is forbidden. Internal sub-states may
exist elsewhere but always map onto exactly one of these codes.
"""

from enum import IntEnum
from typing import Literal

from pydantic import Field

from motcua.domain.errors import Conflict
from motcua.domain.model import StrictModel


class DossierStatus(IntEnum):
    SUBMITTED = 1  # Mới đăng ký
    RECEIVED = 2  # Được tiếp nhận
    REFUSED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý (transfers between units/agencies stay here)
    SUPPLEMENT_REQUESTED = 5  # Yêu cầu bổ sung giấy tờ (clock paused)
    AWAITING_PAYMENT = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWAL_REQUESTED = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    DECIDED = 9  # Đã xử lý xong
    RETURNED = 10  # Đã trả kết quả

    @property
    def name_vi(self) -> str:
        return STATUS_NAMES_VI[self]

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self]


STATUS_NAMES_VI: dict[DossierStatus, str] = {
    DossierStatus.SUBMITTED: "Mới đăng ký",
    DossierStatus.RECEIVED: "Được tiếp nhận",
    DossierStatus.REFUSED: "Không được tiếp nhận",
    DossierStatus.PROCESSING: "Đang xử lý",
    DossierStatus.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    DossierStatus.AWAITING_PAYMENT: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWAL_REQUESTED: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.DECIDED: "Đã xử lý xong",
    DossierStatus.RETURNED: "Đã trả kết quả",
}

_S = DossierStatus
TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    _S.SUBMITTED: frozenset({_S.RECEIVED, _S.REFUSED, _S.WITHDRAWAL_REQUESTED}),
    _S.RECEIVED: frozenset({_S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.WITHDRAWAL_REQUESTED}),
    _S.REFUSED: frozenset(),
    _S.PROCESSING: frozenset({
        _S.PROCESSING,  # transfer to another unit or agency
        _S.SUPPLEMENT_REQUESTED, _S.AWAITING_PAYMENT, _S.STOPPED, _S.DECIDED, _S.WITHDRAWAL_REQUESTED,
    }),
    _S.SUPPLEMENT_REQUESTED: frozenset({_S.PROCESSING, _S.STOPPED, _S.WITHDRAWAL_REQUESTED}),
    _S.AWAITING_PAYMENT: frozenset({_S.PROCESSING, _S.DECIDED, _S.STOPPED}),
    _S.WITHDRAWAL_REQUESTED: frozenset({_S.STOPPED}),
    _S.STOPPED: frozenset(),
    _S.DECIDED: frozenset({_S.RETURNED}),
    _S.RETURNED: frozenset(),
}

# The statuses in which the legal clock stands still, and the pause each one is (docs/domain.md §4.4: supplement
# always; financial obligation by procedure, default paused, UNSURE). Leaving the status ends its pause.
PauseReason = Literal["supplement", "financial_obligation"]
PAUSE_REASONS: dict[DossierStatus, PauseReason] = {_S.SUPPLEMENT_REQUESTED: "supplement",
                                                   _S.AWAITING_PAYMENT: "financial_obligation"}


def can_transition(current: DossierStatus, new: DossierStatus) -> bool:
    return new in TRANSITIONS[current]


class ForbiddenTransition(Conflict):
    code = "DOSSIER_FORBIDDEN_TRANSITION"
    message_vi = "Không thể chuyển hồ sơ sang trạng thái này từ trạng thái hiện tại."
    message_en = "The dossier cannot move to this status from its current status."


def ensure_transition(current: DossierStatus, new: DossierStatus) -> None:
    if not can_transition(current, new):
        raise ForbiddenTransition({
            "from": int(current), "from_name_vi": current.name_vi,
            "to": int(new), "to_name_vi": new.name_vi,
            "allowed": sorted(int(s) for s in TRANSITIONS[current]),
        })


# A status as events and the API show it: the portal's code and its Vietnamese name. (No docstring: it
# would become the API schema's description.)
class StatusView(StrictModel):
    code: int = Field(ge=1, le=10, description="National portal status code (TrangThaiHoSo)")
    name_vi: str
