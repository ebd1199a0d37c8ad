"""Reading submitted method fields: strings, holder names, emails, phones and countries.

Each reader takes the raw value as the API received it (any JSON type), returns a canonical string,
or raises the error class of the field it reads. None of them puts the value in an error.
``stdnum_failure`` runs a python-stdnum check for the readers of national numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from stdnum import exceptions as stdnum_errors

from rails.methods.errors import (
    InvalidEmail,
    InvalidHolderName,
    InvalidMethod,
    InvalidPhone,
    MissingField,
)

# Bounds what reaches the regexes and parsers; no identifier we accept comes near it.
MAX_INPUT_LENGTH = 512
HOLDER_NAME_MAX_LENGTH = 140

# Zero-width (non-)joiners are format characters, but Persian and Indic names need them.
_NAME_JOINERS = frozenset({"\u200c", "\u200d"})
_WHITESPACE_RUN = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s\-]")
# No "localhost" allowance: a payout email must be deliverable on the internet.
_email_validator = EmailValidator(allowlist=[])


def reject_unknown(fields: Mapping[str, object], allowed: frozenset[str]) -> None:
    """Refuse names that the method type does not define, so that a typo is never ignored.

    Raises :class:`InvalidMethod` naming every unknown field (names only, never values).
    """
    unknown = sorted(str(name) for name in fields if name not in allowed)
    if unknown:
        raise InvalidMethod(
            field=unknown[0],
            reason="unknown field; allowed: " + ", ".join(sorted(allowed)),
            unknown_fields=unknown,
        )


def text(
    fields: Mapping[str, object],
    name: str,
    error: type[InvalidMethod],
    *,
    required: bool = True,
) -> str:
    """The field's value stripped of surrounding whitespace, or "" when optional and absent.

    A missing, null or blank required field raises :class:`MissingField`; a value that is not a
    string, or is longer than ``MAX_INPUT_LENGTH``, raises ``error``.
    """
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise error(field=name, reason="must be a string")
    value = (value or "").strip()
    if not value:
        if required:
            raise MissingField(field=name, reason="is required")
        return ""
    if len(value) > MAX_INPUT_LENGTH:
        raise error(field=name, reason="is too long")
    return value


def without_separators(value: str) -> str:
    """Drop the spaces and hyphens people type inside account numbers."""
    return _SEPARATORS.sub("", value)


def stdnum_failure(
    validate: Callable[[str], str], value: str
) -> stdnum_errors.ValidationError | None:
    """The python-stdnum error that ``validate`` raises for ``value``, or None when it passes.

    A value with any non-ASCII character fails as stdnum's ``InvalidFormat`` without reaching
    stdnum, which folds full-width and other look-alike digits into ASCII ones: we accept and store
    ASCII digits only. The error is returned rather than raised so that the caller raises its own
    outside the except block, with nothing chained to it.
    """
    if not value.isascii():
        return stdnum_errors.InvalidFormat()
    try:
        validate(value)
    except stdnum_errors.ValidationError as error:
        return error
    return None


def holder_name(fields: Mapping[str, object], *, required: bool) -> str:
    """``account_holder_name`` in NFC with inner whitespace collapsed: 1 to 140 characters.

    Control, private-use and unassigned characters are refused rather than stripped: a name that
    carries them (a bidi override, say) is either broken or crafted to mislead a reviewer.
    Raises :class:`MissingField` or :class:`InvalidHolderName`.
    """
    name = "account_holder_name"
    value = text(fields, name, InvalidHolderName, required=required)
    if any(
        (unicodedata.category(char)[0] == "C" and char not in _NAME_JOINERS)
        or unicodedata.category(char) in {"Zl", "Zp"}
        for char in value
    ):
        raise InvalidHolderName(field=name, reason="must not contain control characters")
    value = _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFC", value))
    if len(value) > HOLDER_NAME_MAX_LENGTH:
        raise InvalidHolderName(
            field=name, reason=f"must be at most {HOLDER_NAME_MAX_LENGTH} characters"
        )
    return value


def email(value: str, *, field: str) -> str:
    """A deliverable email address (Django's ``EmailValidator``), lower-cased.

    Lower-casing the local part is technically lossy, but every wallet provider treats addresses
    case-insensitively, and one canonical form is what makes duplicate detection work.
    Raises :class:`InvalidEmail`.
    """
    try:
        _email_validator(value)
    except ValidationError:
        failed = True
    else:
        failed = False
    # Raised outside the except block so no library exception is chained to ours.
    if failed:
        raise InvalidEmail(field=field, reason="is not a valid email address")
    return value.lower()


def phone(value: str, *, field: str, default_region: str, required_region: str = "") -> str:
    """A valid phone number in E.164 (``+14155550123``).

    A number without a leading ``+`` is read as a national number of ``default_region``. With
    ``required_region`` the number must belong to that region (``US`` excludes the rest of +1).
    Raises :class:`InvalidPhone`.
    """
    try:
        number = phonenumbers.parse(value, default_region or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None:
        reason = "is not a phone number" + ("" if default_region else "; use the +country form")
        raise InvalidPhone(field=field, reason=reason)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(field=field, reason="is not a valid phone number")
    if required_region and phonenumbers.region_code_for_number(number) != required_region:
        raise InvalidPhone(field=field, reason=f"must be a {required_region} phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country(value: str, *, field: str) -> str:
    """An upper-case ISO 3166-1 alpha-2 code of an inhabited country or territory.

    The list is the regions phonenumbers knows: every inhabited ISO 3166-1 code, plus XK (Kosovo,
    as banks and wallets use it), AC and TA. It leaves out AQ, BV and the like, which nobody is
    paid in. Raises :class:`InvalidMethod`.
    """
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidMethod(field=field, reason="is not an ISO 3166-1 alpha-2 country code")
    return code
