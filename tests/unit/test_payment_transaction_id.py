"""The payment transaction id (``domain.payment.transaction_id``): the reference the platform echoes back
and the log lines trace a payment by, so it must never read as personal data to the logging layer's masker."""

import re
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.calendar import VN_TZ
from motcua.domain.payment import transaction_id
from motcua.observability import mask_text, personal_data_in

dossier_ids = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(VN_TZ))


@given(dossier_ids, instants, st.sampled_from(["paygov", "vnpay"]), st.integers(min_value=1, max_value=50))
def test_a_transaction_id_is_twenty_characters_the_masker_leaves_alone(
        dossier_id: str, requested_at: datetime, gateway: str, attempt: int) -> None:
    tx = transaction_id(dossier_id, requested_at, gateway, attempt)
    assert re.fullmatch(r"MC[0-9A-Z]{18}", tx)
    line = f"payment confirmed {{'transaction_id': '{tx}', 'gateway': '{gateway}'}}"
    assert personal_data_in(line) == []
    assert mask_text(line) == line


def test_four_thousand_obligations_get_four_thousand_ids_and_none_is_masked() -> None:
    """Hex (the digest's first 18 digits) held a 12-digit run in about one id in forty: a flaky log guard and
    a garbled trace. These are letters, so none can."""
    at = datetime(2026, 12, 7, 9, 0, tzinfo=VN_TZ)
    ids = {transaction_id(f"{n:032x}", at, "paygov") for n in range(4000)}
    assert len(ids) == 4000
    assert not [tx for tx in ids if personal_data_in(tx)]


def test_the_id_is_one_per_obligation_gateway_and_attempt() -> None:
    at = datetime(2026, 12, 7, 9, 0, tzinfo=VN_TZ)
    dossier = "0" * 32
    assert transaction_id(dossier, at, "paygov") == transaction_id(dossier, at, "paygov", 1)
    assert len({transaction_id(dossier, at, "paygov", 1), transaction_id(dossier, at, "paygov", 2),
                transaction_id(dossier, at, "vnpay", 1),
                transaction_id(dossier, at + timedelta(seconds=1), "paygov", 1)}) == 4
