"""What a validated payout method looks like, and how its identifier is shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MASK = "••••"


class MethodType(StrEnum):
    US_BANK_ACCOUNT = "us_bank_account"
    IBAN = "iban"
    PAYPAL = "paypal"
    VENMO = "venmo"
    DEBIT_CARD = "debit_card"
    PIX = "pix"
    UPI = "upi"
    CLABE = "clabe"


@dataclass(frozen=True)
class ValidatedMethod:
    """A payout method in canonical form, split into what is encrypted and what may be shown.

    ``secret`` holds every sensitive value (account number, IBAN, card token, PIX key, VPA, CLABE,
    wallet email or phone) and is meant for ``core.crypto.encrypt_json``; ``public`` never holds a
    full sensitive value. ``last4`` is the last four characters of the main identifier as stored:
    digits for account numbers, cards, CLABEs and phones, and for an email or a UPI VPA the last
    four characters of the whole address (so often the domain's ending, such as ".com"). That is
    weak as a hint but never reveals the local part, which is the sensitive half. ``holder_name``
    is "" where the rail does not need one (wallets, cards, PIX, UPI); the caller may fill it from
    the payee. ``fingerprint_source`` is the canonical main identifier, prefixed by the type, for
    ``core.crypto.fingerprint`` to detect duplicates.

    The secret values and the fingerprint source are left out of ``repr`` so that a logged method
    does not leak them.
    """

    type: MethodType
    currency: str
    country: str
    holder_name: str
    secret: dict[str, str] = field(repr=False)
    public: dict[str, str]
    last4: str
    fingerprint_source: str = field(repr=False)


# Arguments: the submitted fields (unknown names already refused), the upper-case currency (already
# one the type supports) and the payee's country ("" when unknown).
Validator = Callable[[Mapping[str, object], str, str], ValidatedMethod]


@dataclass(frozen=True)
class MethodSpec:
    """One method type: the fields it accepts, the currencies it carries, and its validator."""

    fields: frozenset[str]
    currencies: frozenset[str]
    validate: Validator


def mask(value: str) -> str:
    """Render an identifier for display as ``••••6789``: only its last four characters are kept.

    Accepts a stored ``last4`` or a longer value; never raises.
    """
    return MASK + value[-4:]
