"""Local instant rails: PIX keys, UPI addresses and CLABEs, with their check digits.

These are pure validators, so no test here touches the database.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rails.methods import (
    InvalidClabe,
    InvalidEmail,
    InvalidMethod,
    InvalidPhone,
    InvalidPixKey,
    InvalidUpiVpa,
    MethodType,
    MissingField,
    ValidatedMethod,
    method_validate,
)
from tests.rails.methods.support import NAME, full_width, refused, validate


def clabe_check_digit(first17: str) -> str:
    weights = [3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7]
    products = [(int(c) * w) % 10 for c, w in zip(first17, weights, strict=True)]
    return str((10 - sum(products) % 10) % 10)


def cpf_with_check_digits(first9: str) -> str:
    digits = [int(c) for c in first9]
    for length in (9, 10):
        total = sum(digits[i] * (length + 1 - i) for i in range(length))
        remainder = total % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, digits))


# --- PIX -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "key_type", "inferred", "canonical"),
    [
        ("52998224725", "cpf", "cpf", "52998224725"),
        ("529.982.247-25", "", "cpf", "52998224725"),
        ("11222333000181", "cnpj", "cnpj", "11222333000181"),
        ("11.222.333/0001-81", "", "cnpj", "11222333000181"),
        # An alphanumeric CNPJ, issued since July 2026.
        ("12.abc.345/01de-35", "", "cnpj", "12ABC34501DE35"),
        ("Maria@Example.com.br", "", "email", "maria@example.com.br"),
        ("+55 11 98765-4321", "", "phone", "+5511987654321"),
        ("11 98765-4321", "phone", "phone", "+5511987654321"),
        (
            "123E4567-E89B-42D3-A456-426614174000",
            "",
            "evp",
            "123e4567-e89b-42d3-a456-426614174000",
        ),
    ],
)
def test_a_pix_key_of_each_type(key: str, key_type: str, inferred: str, canonical: str) -> None:
    fields: dict[str, object] = {"key": key}
    if key_type:
        fields["key_type"] = key_type
    method = method_validate(type="pix", currency="BRL", fields=fields)
    assert method == ValidatedMethod(
        type=MethodType.PIX,
        currency="BRL",
        country="BR",
        holder_name="",
        secret={"key": canonical},
        public={"key_type": inferred},
        last4=canonical[-4:],
        fingerprint_source=f"pix:{canonical}",
    )


NOT_CPF = "is not a CPF (11 digits)"
NOT_CNPJ = "is not a CNPJ (14 characters)"


@pytest.mark.parametrize(
    ("key", "key_type", "error", "reason"),
    [
        # second check digit one off
        ("52998224726", "cpf", InvalidPixKey, "CPF check digits do not match"),
        # first check digit one off
        ("52998224715", "", InvalidPixKey, "CPF check digits do not match"),
        ("11111111111", "cpf", InvalidPixKey, NOT_CPF),  # passes the arithmetic, never issued
        ("00000000000", "cpf", InvalidPixKey, NOT_CPF),
        ("5299822472", "cpf", InvalidPixKey, NOT_CPF),
        ("529/982/247-25", "cpf", InvalidPixKey, NOT_CPF),
        # python-stdnum would read full-width digits as ASCII ones and accept them; we do not.
        (full_width("52998224725"), "cpf", InvalidPixKey, NOT_CPF),
        ("11222333000182", "cnpj", InvalidPixKey, "CNPJ check digits do not match"),
        ("11222333000191", "", InvalidPixKey, "CNPJ check digits do not match"),
        ("00000000000000", "cnpj", InvalidPixKey, NOT_CNPJ),
        # A zero base is never issued, whatever its check digits (python-stdnum's rule).
        ("00000000000001", "cnpj", InvalidPixKey, NOT_CNPJ),
        ("12ABC34501DE36", "cnpj", InvalidPixKey, "CNPJ check digits do not match"),
        # A letter where a check digit belongs is not a wrong check digit but no CNPJ at all.
        ("12ABC34501DEA5", "cnpj", InvalidPixKey, NOT_CNPJ),
        ("1122233300018", "cnpj", InvalidPixKey, NOT_CNPJ),
        (full_width("11222333000181"), "cnpj", InvalidPixKey, NOT_CNPJ),
        # the declared type is what is checked
        ("jane@example.com", "cpf", InvalidPixKey, NOT_CPF),
        # over BCB's 77 characters
        ("m" * 70 + "@example.com", "email", InvalidPixKey, "email keys are at most 77 characters"),
        ("maria@", "email", InvalidEmail, "is not a valid email address"),
        # not a Brazilian number
        ("+1 415 555 0132", "phone", InvalidPhone, "must be a BR phone number"),
        ("123e4567-e89b-42d3-a456-42661417400", "evp", InvalidPixKey, "is not a random key (UUID)"),
        ("hello", "", InvalidPixKey, "is not a CPF, CNPJ, email, phone or random key"),
    ],
)
def test_a_bad_pix_key_is_refused(
    key: str, key_type: str, error: type[InvalidMethod], reason: str
) -> None:
    fields: dict[str, object] = {"key": key}
    if key_type:
        fields["key_type"] = key_type
    refused_error = refused(error, "pix", "BRL", fields, field="key")
    assert refused_error.details["reason"] == reason
    assert refused_error.__context__ is None


def test_a_cnpj_whose_base_starts_with_zeros_is_accepted() -> None:
    method = method_validate(type="pix", currency="BRL", fields={"key": "00.000.000/0001-91"})
    assert method.secret == {"key": "00000000000191"}
    assert method.public == {"key_type": "cnpj"}


def test_an_unknown_pix_key_type_is_refused() -> None:
    fields = {"key": "52998224725", "key_type": "random"}
    refused(InvalidPixKey, "pix", "BRL", fields, field="key_type")


# --- UPI and CLABE -------------------------------------------------------------------------------


def test_a_upi_address_is_lower_cased() -> None:
    method = validate("upi", "INR", vpa="Ravi.Kumar-1@OKAxis")
    assert (method.country, method.currency) == ("IN", "INR")
    assert method.secret == {"vpa": "ravi.kumar-1@okaxis"}
    assert method.public == {"psp_handle": "okaxis"}
    assert method.last4 == "axis"


@pytest.mark.parametrize(
    "vpa",
    ["r@okaxis", "ravi@1bank", "ravi@b", "ravi", "ravi@ok@axis", "ra vi@okaxis", "ravi@ok.axis"],
)
def test_a_bad_upi_address_is_refused(vpa: str) -> None:
    refused(InvalidUpiVpa, "upi", "INR", {"vpa": vpa}, field="vpa")


@pytest.mark.parametrize(
    ("clabe", "public"),
    [
        ("032180000118359719", {"bank_code": "032"}),
        ("002 010 07777777777 1", {"bank_code": "002", "bank_name": "Banamex"}),
    ],
)
def test_a_real_clabe(clabe: str, public: dict[str, str]) -> None:
    method = validate("clabe", "MXN", clabe=clabe, **NAME)
    digits = clabe.replace(" ", "")
    assert method == ValidatedMethod(
        type=MethodType.CLABE,
        currency="MXN",
        country="MX",
        holder_name="Jane Doe",
        secret={"clabe": digits},
        public=public,
        last4=digits[-4:],
        fingerprint_source=f"clabe:{digits}",
    )


@pytest.mark.parametrize(
    ("clabe", "reason"),
    [
        ("032180000118359718", "check digit does not match"),
        ("032180000118359710", "check digit does not match"),
        ("002010077777777772", "check digit does not match"),
        ("102010077777777771", "check digit does not match"),
        ("03218000011835971", "must be exactly 18 digits"),
        ("0321800001183597190", "must be exactly 18 digits"),
        ("03218000011835971A", "must be exactly 18 digits"),
    ],
)
def test_a_broken_clabe_is_refused(clabe: str, reason: str) -> None:
    error = refused(InvalidClabe, "clabe", "MXN", {"clabe": clabe, **NAME}, field="clabe")
    assert error.details["reason"] == reason


def test_a_clabe_in_full_width_digits_is_refused() -> None:
    fields = {"clabe": full_width("002010077777777771"), **NAME}
    error = refused(InvalidClabe, "clabe", "MXN", fields, field="clabe")
    assert error.details["reason"] == "must be exactly 18 digits"


def test_spei_needs_the_holder_name() -> None:
    refused(
        MissingField, "clabe", "MXN", {"clabe": "032180000118359719"}, field="account_holder_name"
    )


# --- properties ----------------------------------------------------------------------------------


@given(base=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_a_clabe_is_valid_with_its_check_digit_and_with_no_other(base: str) -> None:
    good = clabe_check_digit(base)
    for last in "0123456789":
        fields = {"clabe": base + last, **NAME}
        if last == good:
            assert method_validate(type="clabe", currency="MXN", fields=fields).secret == {
                "clabe": base + last
            }
        else:
            with pytest.raises(InvalidClabe):
                method_validate(type="clabe", currency="MXN", fields=fields)


@given(base=st.text(alphabet="0123456789", min_size=9, max_size=9), shift=st.integers(1, 9))
def test_a_cpf_is_valid_with_its_check_digits_and_one_off_is_not(base: str, shift: int) -> None:
    cpf = cpf_with_check_digits(base)
    fields = {"key": cpf, "key_type": "cpf"}
    if len(set(cpf)) == 1:
        with pytest.raises(InvalidPixKey):
            method_validate(type="pix", currency="BRL", fields=fields)
        return
    assert method_validate(type="pix", currency="BRL", fields=fields).secret == {"key": cpf}
    typo = cpf[:-1] + str((int(cpf[-1]) + shift) % 10)
    with pytest.raises(InvalidPixKey):
        method_validate(type="pix", currency="BRL", fields={"key": typo, "key_type": "cpf"})
