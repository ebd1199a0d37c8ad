"""Magic destination values: how a test makes the sandbox fail, hang, return or misbehave.

The sandbox looks at the **last four digits of the destination's main identifier**. The main
identifier is the first of these ``destination.details`` fields that is present and non-empty:

    account_number, iban, clabe, card_number, phone, phone_number, pix_key, key, vpa, email,
    last4, token

(``key`` is a PIX key as rails.methods stores it. ``last4`` and then ``token`` come last so
that a card, known only by a token and perhaps its last four digits, has an identifier, while a
method that carries a full identifier is judged by that.) For a value containing ``@`` (an
email, a UPI VPA, a PIX email key) only the part before the ``@`` counts. Every non-digit
character is ignored, and the last four remaining digits are the magic value (fewer than four
digits: no magic). So ``account_number="000123450001"``, ``iban="DE89370400440532010001"``,
``email="ada0001@example.com"`` and ``vpa="ada0001@okaxis"`` all select ``0001``.

======  ==================================================================================
last 4  behaviour
======  ==================================================================================
0001    accepted; after the settle latency → ``failed``: ``insufficient_funds``, raw ``R01``
0002    accepted; → ``paid``; after return-after-ms → ``returned``: ``insufficient_funds``,
        raw ``R01``
0003    the FIRST submit for the idempotency key is stored and accepted, but its HTTP response
        hangs for timeout-hang-s (longer than a client timeout); later submits with that key
        answer at once with the same transfer (200); settles ``paid``
0004    accepted; → ``failed``: ``account_closed``, raw ``R02``
0005    refused at once: 422 ``invalid_destination``; nothing is stored or counted accepted
0006    the FIRST submit for the idempotency key answers 500 and stores nothing; later submits
        with that key behave normally (201) and settle ``paid``
0007    accepted; → ``paid`` after 10 times the settle latency (slow settlement)
0008    accepted; → ``paid``; the callback carrying the event is delivered twice (2 POSTs)
0009    accepted; → ``paid``; after return-after-ms → ``returned``: ``no_account``, raw ``R03``
0010    accepted; → ``failed``: ``account_closed``, raw ``AC04`` (an ISO 20022 reason)
0011    accepted; → ``failed``: ``destination_rejected``, raw ``destination_rejected``
0012    the FIRST submit for the idempotency key is stored and executed, but answered 409
        ``request_in_progress``; later submits with that key answer at once with the same
        transfer (200); settles ``paid``
0013    accepted; → ``failed``: ``account_closed``, raw ``R02``; after return-after-ms →
        ``paid`` after all (the bank changed its mind)
other   accepted; → ``paid`` after the settle latency
======  ==================================================================================

Amounts above the server's ``--max-amount-minor`` are refused with 422 ``limit_exceeded``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# The provider speaks the platform's normalised failure codes beside the rail's raw code. It is
# the far side of the wire and imports nothing of the platform, so it names the few it uses
# (tests/sandbox/test_magic.py checks them against rails.failures).
ACH_FAILURE_CODES: Mapping[str, str] = MappingProxyType(
    {"R01": "insufficient_funds", "R02": "account_closed", "R03": "no_account"}
)

IDENTIFIER_FIELDS = (
    "account_number",
    "iban",
    "clabe",
    "card_number",
    "phone",
    "phone_number",
    "pix_key",
    "key",
    "vpa",
    "email",
    "last4",
    "token",
)


@dataclass(frozen=True)
class Plan:
    """What the sandbox will do with a transfer to a destination, decided at submission."""

    outcome: str = "paid"  # paid | failed | returned
    raw_code: str = ""
    failure_code: str = ""
    message: str = ""
    settle_factor: int = 1
    hang_first: bool = False
    error_first: bool = False
    reject_code: str = ""
    duplicate_callbacks: bool = False
    conflict_first: bool = False
    paid_after_failing: bool = False

    @property
    def flags(self) -> str:
        """The plan's switches as the one-letter flags the Lua submit script reads."""
        return "".join(
            letter
            for letter, is_on in (
                ("h", self.hang_first),
                ("e", self.error_first),
                ("r", bool(self.reject_code)),
                ("d", self.duplicate_callbacks),
                ("c", self.conflict_first),
                ("p", self.paid_after_failing),
            )
            if is_on
        )


def _ach(outcome: str, raw_code: str, message: str) -> Plan:
    return Plan(outcome, raw_code, ACH_FAILURE_CODES[raw_code], message)


MAGIC_PLANS: Mapping[str, Plan] = MappingProxyType(
    {
        "0001": _ach("failed", "R01", "Insufficient funds at the receiving bank"),
        "0002": _ach("returned", "R01", "Returned: insufficient funds"),
        "0003": Plan(hang_first=True),
        "0004": _ach("failed", "R02", "The receiving account is closed"),
        "0005": Plan(reject_code="invalid_destination", message="The destination is not valid"),
        "0006": Plan(error_first=True),
        "0007": Plan(settle_factor=10),
        "0008": Plan(duplicate_callbacks=True),
        "0009": _ach("returned", "R03", "Returned: no account / unable to locate account"),
        "0010": Plan("failed", "AC04", "account_closed", "Closed account number (AC04)"),
        "0011": Plan(
            "failed",
            "destination_rejected",
            "destination_rejected",
            "The destination refused the payment",
        ),
        "0012": Plan(conflict_first=True),
        "0013": Plan(
            "failed",
            "R02",
            ACH_FAILURE_CODES["R02"],
            "The receiving account is closed",
            paid_after_failing=True,
        ),
    }
)
DEFAULT_PLAN = Plan()


def magic_value(details: Mapping[str, str]) -> str:
    """Return the last four digits of the main identifier in ``details``, or "" if none.

    See the module docstring for which field is the main identifier. Never raises.
    """
    for name in IDENTIFIER_FIELDS:
        value = details.get(name, "")
        if value:
            local_part = value.split("@", 1)[0]
            digits = "".join(char for char in local_part if char in string.digits)
            return digits[-4:] if len(digits) >= 4 else ""
    return ""


def plan_for(details: Mapping[str, str]) -> Plan:
    """Return what the sandbox does with a transfer to a destination with these ``details``."""
    return MAGIC_PLANS.get(magic_value(details), DEFAULT_PLAN)
