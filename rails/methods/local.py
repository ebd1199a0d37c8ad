"""Local instant rails: PIX keys (Brazil), UPI addresses (India) and CLABEs (Mexico, SPEI)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from clabe import compute_control_digit
from stdnum.br import cnpj as br_cnpj
from stdnum.br import cpf as br_cpf
from stdnum.exceptions import InvalidFormat

from rails.methods.errors import InvalidClabe, InvalidPixKey, InvalidUpiVpa
from rails.methods.fields import email as email_address
from rails.methods.fields import holder_name, phone, stdnum_failure, text, without_separators
from rails.methods.types import MethodSpec, MethodType, ValidatedMethod

# --- PIX -----------------------------------------------------------------------------------------

PIX_KEY_TYPES = ("cpf", "cnpj", "email", "phone", "evp")
# BCB's limit on an email key.
_PIX_EMAIL_MAX_LENGTH = 77
_CPF_SEPARATORS = re.compile(r"[.\-\s]")
_CNPJ_SEPARATORS = re.compile(r"[./\-\s]")
# What a key of no declared type must look like to be read as a CPF or a CNPJ. Since July 2026
# new CNPJs have 12 alphanumeric characters before the two numeric check digits; older, all-digit
# CNPJs remain valid, and the same check-digit rule covers both.
_CPF = re.compile(r"[0-9]{11}")
_CNPJ = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_EVP = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def cpf(key: str) -> str:
    """A CPF without its punctuation: python-stdnum's ``stdnum.br.cpf`` checks its digits.

    stdnum refuses only the all-zero CPF; one of any other repeated digit passes the arithmetic
    but is never issued, so that rule stays ours. Raises :class:`InvalidPixKey`.
    """
    digits = _CPF_SEPARATORS.sub("", key)
    failure = stdnum_failure(br_cpf.validate, digits)
    if isinstance(failure, InvalidFormat) or len(set(digits)) == 1:
        raise InvalidPixKey(field="key", reason="is not a CPF (11 digits)")
    if failure is not None:
        raise InvalidPixKey(field="key", reason="CPF check digits do not match")
    return digits


def cnpj(key: str) -> str:
    """A CNPJ without its punctuation, upper-cased: python-stdnum's ``stdnum.br.cnpj`` checks it.

    Two rules stay ours. stdnum reads a letter where a check digit belongs as a wrong check digit,
    where we say the value is not a CNPJ at all; and it refuses only a zero base, while a CNPJ of
    any other repeated character also passes the arithmetic but is never issued.
    Raises :class:`InvalidPixKey`.
    """
    characters = _CNPJ_SEPARATORS.sub("", key).upper()
    failure = stdnum_failure(br_cnpj.validate, characters)
    if (
        isinstance(failure, InvalidFormat)
        or not characters[12:].isdigit()
        or len(set(characters)) == 1
    ):
        raise InvalidPixKey(field="key", reason="is not a CNPJ (14 characters)")
    if failure is not None:
        raise InvalidPixKey(field="key", reason="CNPJ check digits do not match")
    return characters


def _infer_pix_key_type(key: str) -> str:
    if "@" in key:
        return "email"
    if key.startswith("+"):
        return "phone"
    if _EVP.fullmatch(key.lower()):
        return "evp"
    # Eleven digits are read as a CPF, not a phone number: a phone key must carry +55 (or
    # key_type "phone").
    if _CPF.fullmatch(_CPF_SEPARATORS.sub("", key)):
        return "cpf"
    if _CNPJ.fullmatch(_CNPJ_SEPARATORS.sub("", key).upper()):
        return "cnpj"
    raise InvalidPixKey(field="key", reason="is not a CPF, CNPJ, email, phone or random key")


def pix_key(key: str, key_type: str) -> str:
    """The canonical PIX key of its type, as the DICT directory stores it.

    CPF and CNPJ keys lose their punctuation and must carry good check digits (a CPF or CNPJ of
    one repeated character passes the arithmetic but is never issued); emails are lower-cased;
    phones become +55 E.164; random keys (EVP) become lower-case UUIDs. Raises
    :class:`InvalidPixKey` (or :class:`InvalidPhone` / :class:`InvalidEmail` for those types).
    """
    if key_type == "cpf":
        return cpf(key)
    if key_type == "cnpj":
        return cnpj(key)
    if key_type == "email":
        if len(key) > _PIX_EMAIL_MAX_LENGTH:
            raise InvalidPixKey(field="key", reason="email keys are at most 77 characters")
        return email_address(key, field="key")
    if key_type == "phone":
        return phone(key, field="key", default_region="BR", required_region="BR")
    if not _EVP.fullmatch(key.lower()):
        raise InvalidPixKey(field="key", reason="is not a random key (UUID)")
    return key.lower()


def _validate_pix(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    key = text(fields, "key", InvalidPixKey)
    key_type = text(fields, "key_type", InvalidPixKey, required=False).lower()
    if key_type and key_type not in PIX_KEY_TYPES:
        raise InvalidPixKey(field="key_type", reason="must be " + ", ".join(PIX_KEY_TYPES))
    key_type = key_type or _infer_pix_key_type(key)
    canonical = pix_key(key, key_type)
    return ValidatedMethod(
        type=MethodType.PIX,
        currency=currency,
        country="BR",
        holder_name=holder_name(fields, required=False),
        secret={"key": canonical},
        public={"key_type": key_type},
        last4=canonical[-4:],
        fingerprint_source=f"pix:{canonical}",
    )


PIX = MethodSpec(
    fields=frozenset({"key", "key_type", "account_holder_name"}),
    currencies=frozenset({"BRL"}),
    validate=_validate_pix,
)

# --- UPI -----------------------------------------------------------------------------------------

_UPI_VPA = re.compile(r"[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z0-9]{1,64}")


def _validate_upi(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    vpa = text(fields, "vpa", InvalidUpiVpa)
    if not _UPI_VPA.fullmatch(vpa):
        raise InvalidUpiVpa(field="vpa", reason="must look like name@bank")
    # NPCI resolves VPAs case-insensitively; one form keeps duplicate detection honest.
    vpa = vpa.lower()
    return ValidatedMethod(
        type=MethodType.UPI,
        currency=currency,
        country="IN",
        holder_name=holder_name(fields, required=False),
        secret={"vpa": vpa},
        public={"psp_handle": vpa.rsplit("@", 1)[1]},
        last4=vpa[-4:],
        fingerprint_source=f"upi:{vpa}",
    )


UPI = MethodSpec(
    fields=frozenset({"vpa", "account_holder_name"}),
    currencies=frozenset({"INR"}),
    validate=_validate_upi,
)

# --- CLABE ---------------------------------------------------------------------------------------

_CLABE = re.compile(r"[0-9]{18}")
# A few well-known participants, for display only: an unlisted code is not refused, because
# Banxico's participant list changes and the CLABE's check digit already guards typos. (The clabe
# package keeps a fuller list, but its names are spelt differently, "BBVA Mexico" or "Bajio", and
# these are the names already shown on stored methods.)
CLABE_BANKS = {
    "002": "Banamex",
    "012": "BBVA México",
    "014": "Santander",
    "021": "HSBC",
    "030": "BanBajío",
    "036": "Inbursa",
    "044": "Scotiabank",
    "058": "Banregio",
    "072": "Banorte",
    "127": "Banco Azteca",
    "137": "BanCoppel",
    "646": "STP",
}


def clabe(value: str) -> str:
    """An 18-digit CLABE with a matching check digit. Raises :class:`InvalidClabe`.

    The check digit is the clabe package's. Its ``validate_clabe`` is not used: it also refuses a
    bank code missing from the package's participant list, which we deliberately do not (see
    ``CLABE_BANKS``), and it takes any Unicode digit where we take ASCII ones only.
    """
    digits = without_separators(value)
    if not _CLABE.fullmatch(digits):
        raise InvalidClabe(field="clabe", reason="must be exactly 18 digits")
    if compute_control_digit(digits) != digits[17]:
        raise InvalidClabe(field="clabe", reason="check digit does not match")
    return digits


def _validate_clabe(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    digits = clabe(text(fields, "clabe", InvalidClabe))
    bank_code = digits[:3]
    public = {"bank_code": bank_code}
    if bank_code in CLABE_BANKS:
        public["bank_name"] = CLABE_BANKS[bank_code]
    return ValidatedMethod(
        type=MethodType.CLABE,
        currency=currency,
        country="MX",
        # SPEI checks the beneficiary's name, so one is required.
        holder_name=holder_name(fields, required=True),
        secret={"clabe": digits},
        public=public,
        last4=digits[-4:],
        fingerprint_source=f"clabe:{digits}",
    )


CLABE = MethodSpec(
    fields=frozenset({"clabe", "account_holder_name"}),
    currencies=frozenset({"MXN"}),
    validate=_validate_clabe,
)
