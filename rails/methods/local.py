"""Local instant rails: PIX keys (Brazil), UPI addresses (India) and CLABEs (Mexico, SPEI)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rails.methods.errors import InvalidClabe, InvalidPixKey, InvalidUpiVpa
from rails.methods.fields import email as email_address
from rails.methods.fields import holder_name, phone, text, without_separators
from rails.methods.types import MethodSpec, MethodType, ValidatedMethod

# --- PIX -----------------------------------------------------------------------------------------

PIX_KEY_TYPES = ("cpf", "cnpj", "email", "phone", "evp")
# BCB's limit on an email key.
_PIX_EMAIL_MAX_LENGTH = 77
_CPF_SEPARATORS = re.compile(r"[.\-\s]")
_CNPJ_SEPARATORS = re.compile(r"[./\-\s]")
_CPF = re.compile(r"[0-9]{11}")
# Since July 2026 new CNPJs have 12 alphanumeric characters before the two numeric check digits;
# older, all-digit CNPJs remain valid, and the same check-digit rule covers both.
_CNPJ = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_EVP = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CNPJ_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def cpf_check_digits(base: str) -> str:
    """The two check digits of a CPF's first nine digits (mod 11, weights 10..2 then 11..2)."""
    digits = [int(char) for char in base]
    for _ in range(2):
        weights = range(len(digits) + 1, 1, -1)
        digits.append(sum(d * w for d, w in zip(digits, weights, strict=True)) * 10 % 11 % 10)
    return f"{digits[-2]}{digits[-1]}"


def cnpj_check_digits(base: str) -> str:
    """The two check digits of a CNPJ's first twelve characters.

    Each character counts as its code point minus 48, so digits are themselves and A-Z are 17-42
    (the Receita Federal rule that keeps numeric CNPJs unchanged).
    """
    values = [ord(char) - ord("0") for char in base]
    for _ in range(2):
        weights = _CNPJ_WEIGHTS[-len(values) :]
        remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        values.append(0 if remainder < 2 else 11 - remainder)
    return f"{values[-2]}{values[-1]}"


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
        cpf = _CPF_SEPARATORS.sub("", key)
        if not _CPF.fullmatch(cpf) or len(set(cpf)) == 1:
            raise InvalidPixKey(field="key", reason="is not a CPF (11 digits)")
        if cpf_check_digits(cpf[:9]) != cpf[9:]:
            raise InvalidPixKey(field="key", reason="CPF check digits do not match")
        return cpf
    if key_type == "cnpj":
        cnpj = _CNPJ_SEPARATORS.sub("", key).upper()
        if not _CNPJ.fullmatch(cnpj) or len(set(cnpj)) == 1:
            raise InvalidPixKey(field="key", reason="is not a CNPJ (14 characters)")
        if cnpj_check_digits(cnpj[:12]) != cnpj[12:]:
            raise InvalidPixKey(field="key", reason="CNPJ check digits do not match")
        return cnpj
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
_CLABE_WEIGHTS = (3, 7, 1) * 6
# A few well-known participants, for display only: an unlisted code is not refused, because
# Banxico's participant list changes and the CLABE's check digit already guards typos.
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


def clabe_check_digit(base: str) -> str:
    """The 18th digit of a CLABE from its first 17: weights 3, 7, 1 repeating, products mod 10."""
    total = sum(int(d) * w % 10 for d, w in zip(base, _CLABE_WEIGHTS[:17], strict=True))
    return str((10 - total % 10) % 10)


def clabe(value: str) -> str:
    """An 18-digit CLABE with a matching check digit. Raises :class:`InvalidClabe`."""
    digits = without_separators(value)
    if not _CLABE.fullmatch(digits):
        raise InvalidClabe(field="clabe", reason="must be exactly 18 digits")
    if clabe_check_digit(digits[:17]) != digits[17]:
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
