"""The normalised failure codes and how rail codes map to them."""

from __future__ import annotations

import pytest

from rails.failures import (
    ACH_RETURN_CODES,
    FAILURE_CODES,
    ISO_REASON_CODES,
    UnknownFailureCode,
    failure_for_ach,
    failure_for_iso,
    failure_get,
)

# --- failure codes (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("R01", "insufficient_funds"),
        ("R02", "account_closed"),
        ("R03", "no_account"),
        ("R04", "invalid_account_number"),
        ("R05", "unauthorized"),
        ("R06", "returned_per_odfi"),
        ("R07", "authorization_revoked"),
        ("R08", "payment_stopped"),
        ("R09", "uncollected_funds"),
        ("R10", "unauthorized"),
        ("R14", "beneficiary_deceased"),
        ("R15", "beneficiary_deceased"),
        ("R16", "account_frozen"),
        ("R17", "invalid_account_data"),
        ("R20", "non_transaction_account"),
        ("R23", "credit_refused"),
        ("R24", "duplicate_entry"),
        ("R29", "unauthorized"),
        (" r01 ", "insufficient_funds"),
        ("R99", "ach_return_other"),
        ("R31", "ach_return_other"),
        ("", "ach_return_other"),
    ],
)
def test_ach_return_codes_map_to_our_codes(raw: str, code: str) -> None:
    assert failure_for_ach(raw).code == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("AC01", "invalid_account_number"),
        ("AC04", "account_closed"),
        ("AC06", "account_frozen"),
        ("AG01", "transaction_forbidden"),
        ("AM04", "insufficient_funds"),
        ("AM05", "duplicate_entry"),
        ("BE05", "no_account"),
        ("MD07", "beneficiary_deceased"),
        ("MS02", "not_specified"),
        ("MS03", "not_specified"),
        ("RC01", "invalid_bic"),
        ("FF01", "invalid_file_format"),
        ("NARR", "other"),
        ("ac04", "account_closed"),
        ("ZZ99", "other"),
    ],
)
def test_iso_reason_codes_map_to_our_codes(raw: str, code: str) -> None:
    assert failure_for_iso(raw).code == code


def test_failure_code_flags_and_registry() -> None:
    assert failure_get("provider_timeout").retryable is True
    assert failure_get("provider_unavailable").retryable is True
    assert failure_get("insufficient_funds").retryable is True
    assert failure_get("account_closed").retryable is False
    assert failure_get("account_closed").payee_action_required is True
    assert failure_get("invalid_destination").payee_action_required is True
    assert failure_get("duplicate_entry").payee_action_required is False
    assert failure_get("limit_exceeded").retryable is False
    for target in (*ACH_RETURN_CODES.values(), *ISO_REASON_CODES.values()):
        assert target in FAILURE_CODES
    with pytest.raises(UnknownFailureCode):
        failure_get("no_such_code")
