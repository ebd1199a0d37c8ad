"""Bank accounts: US ABA routing plus account number, and IBAN (with an optional BIC)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

from schwifty import BIC, IBAN, exceptions
from stdnum.exceptions import InvalidFormat
from stdnum.us import rtn

from rails.methods.errors import (
    InvalidAccountNumber,
    InvalidBic,
    InvalidIban,
    InvalidMethod,
    InvalidRoutingNumber,
    UnsupportedCurrency,
)
from rails.methods.fields import holder_name, stdnum_failure, text, without_separators
from rails.methods.types import MethodSpec, MethodType, ValidatedMethod

_ACCOUNT_NUMBER = re.compile(r"[0-9]{4,17}")
_ACCOUNT_TYPES = frozenset({"checking", "savings"})

# The first two digits of an ABA number name a Federal Reserve district: 00 (US government),
# 01-12 (banks), 21-32 (thrifts), 61-72 (electronic transactions), 80 (traveler's checks).
# python-stdnum checks an ABA number's length and check digit but not this prefix, so the rule
# stays ours.
_ROUTING_PREFIXES = frozenset(
    [f"{n:02d}" for n in range(13)]
    + [str(n) for n in range(21, 33)]
    + [str(n) for n in range(61, 73)]
    + ["80"]
)


def routing_number(value: str) -> str:
    """An ABA routing number: nine digits, a Federal Reserve prefix and a good check digit.

    The digits and the check digit are python-stdnum's ``stdnum.us.rtn``; the prefix is ours.
    Raises :class:`InvalidRoutingNumber`.
    """
    field = "routing_number"
    failure = stdnum_failure(rtn.validate, value)
    # InvalidLength is a kind of InvalidFormat.
    if isinstance(failure, InvalidFormat):
        raise InvalidRoutingNumber(field=field, reason="must be exactly 9 digits")
    if value[:2] not in _ROUTING_PREFIXES:
        raise InvalidRoutingNumber(field=field, reason="does not start with a Federal Reserve code")
    if failure is not None:
        raise InvalidRoutingNumber(field=field, reason="check digit does not match")
    return value


def _validate_us_bank_account(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    routing = routing_number(text(fields, "routing_number", InvalidRoutingNumber))
    account = without_separators(text(fields, "account_number", InvalidAccountNumber))
    if not _ACCOUNT_NUMBER.fullmatch(account):
        raise InvalidAccountNumber(field="account_number", reason="must be 4 to 17 digits")
    account_type = text(fields, "account_type", InvalidMethod, required=False) or "checking"
    account_type = account_type.lower()
    if account_type not in _ACCOUNT_TYPES:
        raise InvalidMethod(field="account_type", reason="must be checking or savings")
    return ValidatedMethod(
        type=MethodType.US_BANK_ACCOUNT,
        currency=currency,
        country="US",
        holder_name=holder_name(fields, required=True),
        secret={"account_number": account},
        public={"routing_number": routing, "account_type": account_type},
        last4=account[-4:],
        # Leading zeros are kept: banks disagree on whether they are significant.
        fingerprint_source=f"us_bank_account:{routing}:{account}",
    )


US_BANK_ACCOUNT = MethodSpec(
    fields=frozenset({"routing_number", "account_number", "account_type", "account_holder_name"}),
    currencies=frozenset({"USD"}),
    validate=_validate_us_bank_account,
)


# EUR goes to any IBAN in the SEPA zone. Besides it, we pay an IBAN in its country's own currency
# where a domestic clearing takes IBANs; every other pairing (GBP to a German IBAN, EUR to a
# Turkish one) is refused rather than left to fail at the bank.
IBAN_LOCAL_CURRENCIES: dict[str, str] = {
    "GB": "GBP",
    "CH": "CHF",
    "LI": "CHF",
    "SE": "SEK",
    "DK": "DKK",
    "NO": "NOK",
    "PL": "PLN",
    "CZ": "CZK",
    "HU": "HUF",
    "RO": "RON",
}

# Our reasons, not schwifty's messages: schwifty's quote the IBAN or BIC.
_IBAN_REASONS: dict[type[exceptions.SchwiftyException], str] = {
    exceptions.InvalidLength: "has the wrong length for its country",
    exceptions.InvalidStructure: "has characters or a format its country does not allow",
    exceptions.InvalidCountryCode: "does not start with a known IBAN country code",
    exceptions.InvalidChecksumDigits: "check digits do not match",
    exceptions.InvalidBBANChecksum: "national check digits do not match",
    exceptions.InvalidBankCode: "bank code is not valid",
    exceptions.InvalidBranchCode: "branch code is not valid",
    exceptions.InvalidAccountCode: "account code is not valid",
}
_BIC_REASONS: dict[type[exceptions.SchwiftyException], str] = {
    exceptions.InvalidLength: "must be 8 or 11 characters",
    exceptions.InvalidStructure: "is not a valid BIC format",
    exceptions.InvalidCountryCode: "country code is not valid",
}


def _reason(error: exceptions.SchwiftyException, reasons: Mapping[type, str]) -> str:
    return next(
        (reason for cls, reason in reasons.items() if isinstance(error, cls)),
        "is not valid",
    )


def parse_iban(value: str) -> IBAN:
    """A structurally valid IBAN whose national check digits also match, where known.

    schwifty verifies the national checksum wherever it has the country's algorithm (France's RIB
    key, Germany's per-bank schemes, ...); for the rest (Sweden, Hungary, ...) the digits cannot be
    checked, and its ``NationalChecksumNotVerified`` warning is silenced because that is a known,
    documented gap rather than news. Raises :class:`InvalidIban`.
    """
    reason = ""
    try:
        # catch_warnings swaps the process-wide filter list. Threads racing here can at worst
        # leave this "ignore" filter installed (harmless), or drop a filter another thread adds
        # at that very moment; filters are configured at startup, so we accept that.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exceptions.NationalChecksumNotVerified)
            iban = IBAN(value, validate_bban=True)
    except exceptions.SchwiftyException as error:
        reason = _reason(error, _IBAN_REASONS)
    # Raised outside the except block so schwifty's message (which quotes the IBAN) is not chained.
    if reason:
        raise InvalidIban(field="iban", reason=reason)
    if iban.is_aspirational:
        raise InvalidIban(field="iban", reason="country's IBAN format is not yet in use")
    return iban


def parse_bic(value: str) -> BIC:
    """A structurally valid BIC (8 or 11 characters, known country). Raises :class:`InvalidBic`.

    Whether the BIC exists is not checked: schwifty's bank registry is incomplete, and the bank
    refuses an unknown BIC anyway.
    """
    reason = ""
    try:
        bic = BIC(value)
    except exceptions.SchwiftyException as error:
        reason = _reason(error, _BIC_REASONS)
    if reason:
        raise InvalidBic(field="bic", reason=reason)
    return bic


def _validate_iban(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    iban = parse_iban(text(fields, "iban", InvalidIban))
    country = iban.country_code
    if not (
        (currency == "EUR" and iban.in_sepa_zone) or IBAN_LOCAL_CURRENCIES.get(country) == currency
    ):
        raise UnsupportedCurrency(
            field="currency", reason=f"is not paid to {country} IBANs", country=country
        )
    given_bic = text(fields, "bic", InvalidBic, required=False)
    # A BIC of another country is not refused: overseas territories, Monaco and the Channel
    # Islands legitimately mix them. A derived BIC is left out when schwifty has none.
    bic = parse_bic(given_bic) if given_bic else iban.bic
    public = {"bank_code": iban.bank_code} if iban.bank_code else {}
    if bic is not None:
        public["bic"] = str(bic.compact)
    if iban.bank_name:
        public["bank_name"] = iban.bank_name
    compact = str(iban.compact)
    return ValidatedMethod(
        type=MethodType.IBAN,
        currency=currency,
        country=country,
        holder_name=holder_name(fields, required=True),
        secret={"iban": compact},
        public=public,
        last4=compact[-4:],
        fingerprint_source=f"iban:{compact}",
    )


IBAN_SPEC = MethodSpec(
    fields=frozenset({"iban", "bic", "account_holder_name"}),
    currencies=frozenset({"EUR", *IBAN_LOCAL_CURRENCIES.values()}),
    validate=_validate_iban,
)
