"""``/v1/payees/{id}/payout-methods``: add every method type, list and retrieve them without
secrets, disable them; validation errors, auth, scope and other platforms' ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from api.serializers.payout_methods import CREATE_SHAPES
from payouts.payees.models import Payee, PayoutMethod, PayoutMethodChange
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke
from rails.methods import METHOD_FIELDS, MethodType
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import bank_method

pytestmark = pytest.mark.django_db

BANK = {
    "type": "us_bank_account",
    "currency": "USD",
    "routing_number": "021000021",
    "account_number": "000123456789",
    "account_holder_name": "Ada Lovelace",
}
PAYPAL = {"type": "paypal", "currency": "USD"}

HOLDER = {"account_holder_name": "Ada Lovelace"}


def shown(currency: str, country: str, details: dict[str, str], last4: str, **kw: str) -> dict:
    return {"currency": currency, "country": country, "account_holder_name": "Ada Lovelace",
            **kw, "details": details, "last4": last4}  # fmt: skip


# type -> (body, the method as rendered less id, payee and dates); the holder name defaults to
# the payee's.
EACH_TYPE: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "us_bank_account": (
        {**BANK, "account_type": "savings"},
        shown("USD", "US", {"routing_number": "021000021", "account_type": "savings"}, "6789"),
    ),
    "iban": (
        {"type": "iban", "currency": "EUR", "iban": "DE89 3704 0044 0532 0130 00",
         "bic": "COBADEFFXXX", **HOLDER},
        shown("EUR", "DE", {"bank_code": "37040044", "bic": "COBADEFFXXX",
                            "bank_name": "Commerzbank"}, "3000"),
    ),
    "paypal": (
        {**PAYPAL, "email": "Ada@Example.com"},
        shown("USD", "US", {"wallet": "paypal", "identifier_type": "email"}, ".com"),
    ),
    "venmo": (
        {"type": "venmo", "currency": "USD", "phone": "+1 415 555 0132"},
        shown("USD", "US", {"wallet": "venmo", "identifier_type": "phone"}, "0132"),
    ),
    "debit_card": (
        {"type": "debit_card", "currency": "USD", "token": "tok_1N3T00LkdIwHu7ix",
         "last4": "4242", "brand": "visa", "exp_month": 12, "exp_year": 2030},
        shown("USD", "US", {"last4": "4242", "brand": "visa", "exp_year": "2030",
                            "exp_month": "12"}, "4242"),
    ),
    "pix": (
        {"type": "pix", "currency": "BRL", "key": "529.982.247-25", "account_holder_name": "Ada"},
        shown("BRL", "BR", {"key_type": "cpf"}, "4725", account_holder_name="Ada"),
    ),
    "upi": (
        {"type": "upi", "currency": "INR", "vpa": "ravi.kumar@okaxis"},
        shown("INR", "IN", {"psp_handle": "okaxis"}, "axis"),
    ),
    "clabe": (
        {"type": "clabe", "currency": "MXN", "clabe": "002010077777777771", **HOLDER},
        shown("MXN", "MX", {"bank_code": "002", "bank_name": "Banamex"}, "7771"),
    ),
}  # fmt: skip
SECRETS = ("000123456789", "370400440532013000", "ada@example.com", "4155550132",
           "tok_1N3T00LkdIwHu7ix", "52998224725", "ravi.kumar", "002010077777777771")  # fmt: skip


@pytest.fixture
def payee(make_payee: Callable[..., Payee]) -> Payee:
    return make_payee("driver-17")


def rendered(method: PayoutMethod) -> dict[str, Any]:
    def when(value: Any) -> Any:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "id": method.id,
        "object": "payout_method",
        "payee": method.payee_id,
        "type": method.type,
        "currency": method.currency,
        "country": method.country,
        "account_holder_name": method.holder_name,
        "details": method.public,
        "last4": method.last4,
        "status": method.status,
        "created": when(method.created),
        "disabled_at": when(method.disabled_at),
    }


def state() -> list[Any]:
    return [
        *PayoutMethod.objects.order_by("id").values_list("id", "status", "disabled_at"),
        PayoutMethodChange.objects.count(),
    ]


def field_errors(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


def methods_path(payee_id: int) -> str:
    return f"/v1/payees/{payee_id}/payout-methods"


# --- create ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EACH_TYPE))
def test_add_each_method_type(api: Api, payee: Payee, kind: str) -> None:
    body, expected = EACH_TYPE[kind]
    response = api.post(methods_path(payee.id), body)
    assert response.status_code == 201, response.content
    method = PayoutMethod.objects.get(payee=payee)
    created = response.json()
    assert created == rendered(method)
    assert created == {
        "id": method.id,
        "object": "payout_method",
        "payee": payee.id,
        "type": kind,
        **expected,
        "status": "active",
        "created": created["created"],
        "disabled_at": None,
    }
    assert response["Location"] == f"{methods_path(payee.id)}/{method.id}"
    for secret in SECRETS:
        assert secret not in response.content.decode()
    assert api.get(f"{methods_path(payee.id)}/{method.id}").json() == created
    assert list(PayoutMethodChange.objects.values_list("method_id", "action")) == [
        (method.id, "created")
    ]


def test_documented_shapes_match_what_each_type_accepts() -> None:
    for kind in MethodType:
        fields = set(CREATE_SHAPES[kind.value]().fields)
        assert fields == {"type", "currency", *METHOD_FIELDS[kind]}, kind


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"routing_number": "021000022"}, "routing_number", "invalid_routing_number"),
        ({"routing_number": "12345"}, "routing_number", "invalid_routing_number"),
        ({"routing_number": 21000021}, "routing_number", "invalid_routing_number"),
        ({"routing_number": None}, "routing_number", "missing_field"),
        ({"account_number": "12"}, "account_number", "invalid_account_number"),
        ({"account_number": "0001234\x0056789"}, "account_number", "invalid_characters"),
        ({"account_number": ""}, "account_number", "missing_field"),
        (
            {"account_holder_name": "Ada\u202eLovelace"},
            "account_holder_name",
            "invalid_holder_name",
        ),
        ({"account_holder_name": {"first": "Ada"}}, "account_holder_name", "invalid_holder_name"),
        ({"account_type": "brokerage"}, "account_type", "invalid_payout_method"),
        ({"currency": "EUR"}, "currency", "unsupported_currency"),
        ({"iban": "DE89370400440532013000"}, "iban", "invalid_payout_method"),
        ({"nickname": "main"}, "nickname", "invalid_payout_method"),
        ({"type": "iban", "iban": "DE89370400440532013001"}, "iban", "invalid_iban"),
    ],
)
def test_the_validators_field_errors_are_400_and_store_nothing(
    api: Api, payee: Payee, change: dict[str, Any], field: str, code: str
) -> None:
    body = {**BANK, **change}
    if change.get("type") == "iban":
        body = {"type": "iban", "currency": "EUR", "account_holder_name": "Ada", **change}
    response = api.post(methods_path(payee.id), body)
    if code == "invalid_characters":
        assert_problem(response, 400, "validation_error", field)
    else:
        problem = assert_problem(response, 400, code, field)
        assert problem["errors"][0]["code"] == code
    assert (field, code) in field_errors(response)
    for secret in ("0001234", "0532013001"):
        assert secret not in response.content.decode()
    assert state() == [0]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"currency": "USD"}, "type", "required"),
        ({"type": "cheque", "currency": "USD"}, "type", "invalid_choice"),
        ({"type": 3, "currency": "USD"}, "type", "not_a_string"),
        ({"type": "US_BANK_ACCOUNT", "currency": "USD"}, "type", "invalid_choice"),
        ({"type": "paypal"}, "currency", "required"),
        ({"type": "paypal", "currency": "usd"}, "currency", "invalid"),
        ({"type": "paypal", "currency": "US"}, "currency", "invalid"),
        ({"type": "paypal", "currency": None}, "currency", "null"),
        (
            {"type": "paypal", "currency": "USD", "email": "a\x00@x.io"},
            "email",
            "invalid_characters",
        ),
        (
            {"type": "paypal", "currency": "USD", "email": "\udc00@x.io"},
            "email",
            "invalid_characters",
        ),
        ({**PAYPAL, "\ud800": "x"}, "\\ud800", "invalid_characters"),
    ],
)
def test_malformed_bodies_are_400_and_store_nothing(
    api: Api, payee: Payee, body: dict[str, Any], field: str, code: str
) -> None:
    response = api.post(methods_path(payee.id), body)
    assert_problem(response, 400, "validation_error", field)
    assert (field, code) in field_errors(response)
    assert state() == [0]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"type": "paypal", "currency": "GBP", "phone": "+44 7911 123456", "email": "a@b.co"},
         "phone", "invalid_payout_method"),
        ({"type": "paypal", "currency": "USD"}, "email", "missing_field"),
        ({"type": "paypal", "currency": "USD", "email": "not-an-email"}, "email", "invalid_email"),
        ({"type": "venmo", "currency": "USD", "phone": "+44 7911 123456"}, "phone",
         "invalid_phone"),
        ({"type": "debit_card", "currency": "USD", "token": "4111111111111111", "last4": "1111"},
         "token", "invalid_card_token"),
        ({"type": "debit_card", "currency": "USD", "token": "tok_1N3T00LkdIwHu7ix",
          "last4": "42"}, "last4", "invalid_card_last4"),
        ({"type": "debit_card", "currency": "USD", "token": "tok_1N3T00LkdIwHu7ix",
          "last4": "4242", "exp_month": 1, "exp_year": 2020}, "exp_year", "invalid_payout_method"),
        ({"type": "debit_card", "currency": "USD", "token": "tok_1N3T00LkdIwHu7ix",
          "last4": "4242", "exp_month": 1, "exp_year": 10**30}, "exp_year",
         "invalid_payout_method"),
        ({"type": "pix", "currency": "BRL", "key": "529.982.247-26"}, "key", "invalid_pix_key"),
        ({"type": "upi", "currency": "INR", "vpa": "ravi"}, "vpa", "invalid_upi_vpa"),
        ({"type": "clabe", "currency": "MXN", "clabe": "002010077777777772",
          "account_holder_name": "Ada"}, "clabe", "invalid_clabe"),
        ({"type": "iban", "currency": "EUR", "iban": "DE89370400440532013000",
          "bic": "NOTABIC", "account_holder_name": "Ada"}, "bic", "invalid_bic"),
        ({"type": "iban", "currency": "GBP", "iban": "DE89370400440532013000",
          "account_holder_name": "Ada"}, "currency", "unsupported_currency"),
        ({"type": "iban", "currency": "EUR", "iban": "DE89370400440532013000",
          "account_holder_name": ""}, "account_holder_name", "missing_field"),
        ({"type": "upi", "currency": "USD", "vpa": "ravi@okaxis"}, "currency",
         "unsupported_currency"),
    ],
)  # fmt: skip
def test_each_types_own_errors(
    api: Api, payee: Payee, body: dict[str, Any], field: str, code: str
) -> None:
    response = api.post(methods_path(payee.id), body)
    assert_problem(response, 400, code, field)
    assert state() == [0]


@pytest.mark.parametrize("raw", ["[]", '"iban"', "null", "1.5", "{"])
def test_bodies_that_are_not_objects_are_400(api: Api, payee: Payee, raw: str) -> None:
    response = api.post(methods_path(payee.id), raw=raw)
    assert response.status_code == 400, response.content
    assert state() == [0]


def test_idempotent_replay_adds_one_method(api: Api, payee: Payee) -> None:
    first = api.post(methods_path(payee.id), BANK, key="bank-1")
    again = api.post(methods_path(payee.id), BANK, key="bank-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert PayoutMethod.objects.filter(payee=payee).count() == 1


def test_missing_payee_is_404(api: Api) -> None:
    assert_problem(api.post(methods_path(999999999), BANK), 404, "payee_not_found", "payee")
    assert_problem(api.get(methods_path(999999999)), 404, "payee_not_found")
    assert state() == [0]


# --- list, retrieve ----------------------------------------------------------------------------


def test_list_newest_first_with_filters_and_no_secrets(
    api: Api, platform: Platform, payee: Payee, make_payee: Callable[..., Payee]
) -> None:
    bank = bank_method(platform, payee)
    iban = api.post(methods_path(payee.id), EACH_TYPE["iban"][0]).json()
    paypal = api.post(methods_path(payee.id), EACH_TYPE["paypal"][0]).json()
    bank_method(platform, make_payee("someone-else"), "000999999999")  # another payee's
    api.post(f"{methods_path(payee.id)}/{paypal['id']}/disable", {})
    bank.refresh_from_db()

    response = api.get(methods_path(payee.id))
    assert response.status_code == 200
    listed = response.json()
    assert [m["id"] for m in listed["results"]] == [paypal["id"], iban["id"], bank.id]
    assert listed["results"][2] == rendered(bank)
    assert listed["next"] is None and listed["previous"] is None
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text

    def ids(params: dict[str, str]) -> list[int]:
        return [m["id"] for m in api.get(methods_path(payee.id), params).json()["results"]]

    assert ids({"status": "active"}) == [iban["id"], bank.id]
    assert ids({"status": "disabled"}) == [paypal["id"]]
    assert ids({"currency": "USD"}) == [paypal["id"], bank.id]
    assert ids({"currency": "EUR", "status": "active"}) == [iban["id"]]
    assert ids({"currency": "JPY"}) == []
    page = api.get(methods_path(payee.id), {"limit": 1}).json()
    assert [m["id"] for m in page["results"]] == [paypal["id"]] and page["next"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "gone"}, "status"), ({"currency": "usd"}, "currency"), ({"limit": "x"}, "limit")],
)
def test_list_rejects_bad_filters(
    api: Api, payee: Payee, params: dict[str, str], field: str
) -> None:
    assert_problem(api.get(methods_path(payee.id), params), 400, "validation_error", field)


def test_a_method_is_found_only_under_its_own_payee(
    api: Api, platform: Platform, payee: Payee, make_payee: Callable[..., Payee]
) -> None:
    method = bank_method(platform, payee)
    other_payee = make_payee("other")
    before = state()
    path = f"{methods_path(other_payee.id)}/{method.id}"
    assert_problem(api.get(path), 404, "payout_method_not_found", "payout_method")
    assert_problem(api.post(f"{path}/disable", {}), 404, "payout_method_not_found")
    assert_problem(api.get(f"{methods_path(payee.id)}/999999999"), 404, "payout_method_not_found")
    assert_problem(api.get(f"{methods_path(999999999)}/{method.id}"), 404, "payee_not_found")
    assert state() == before


# --- disable -----------------------------------------------------------------------------------


def test_disable_keeps_the_method_on_record(api: Api, platform: Platform, payee: Payee) -> None:
    method = bank_method(platform, payee)
    path = f"{methods_path(payee.id)}/{method.id}/disable"
    response = api.post(path, {"reason": "account closed"})
    assert response.status_code == 200, response.content
    method.refresh_from_db()
    assert response.json() == rendered(method)
    assert response.json()["status"] == "disabled" and response.json()["disabled_at"]
    change = PayoutMethodChange.objects.filter(method=method).latest("id")
    assert (change.action, change.reason, change.actor) == (
        "disabled",
        "account closed",
        f"api_key:{api.secret[:15]}",
    )
    # Twice: the same answer, nothing recorded again.
    again = api.post(path, {}, key=None)
    assert again.status_code == 200 and again.json() == response.json()
    assert PayoutMethodChange.objects.filter(method=method).count() == 2


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"reason": "r" * 501}, "reason", "max_length"),
        ({"reason": 5}, "reason", "not_a_string"),
        ({"reason": "closed\x00"}, "reason", "null_characters_not_allowed"),
        ({"why": "closed"}, "why", "unknown_field"),
        ([], "", "invalid"),
    ],
)
def test_disable_rejects_bad_bodies_and_changes_nothing(
    api: Api, platform: Platform, payee: Payee, body: Any, field: str, code: str
) -> None:
    method = bank_method(platform, payee)
    before = state()
    response = api.post(f"{methods_path(payee.id)}/{method.id}/disable", body)
    assert_problem(response, 400, "validation_error")
    assert (field, code) in field_errors(response)
    assert state() == before


# --- auth, scope, other platforms ----------------------------------------------------------------


def calls(payee_id: int, method_id: int) -> list[tuple[str, str, Any]]:
    return [
        ("post", methods_path(payee_id), BANK),
        ("get", methods_path(payee_id), None),
        ("get", f"{methods_path(payee_id)}/{method_id}", None),
        ("post", f"{methods_path(payee_id)}/{method_id}/disable", {"reason": "x"}),
    ]


def call(client: Api, method: str, path: str, body: Any) -> Any:
    return client.get(path) if method == "get" else client.post(path, body)


def test_no_key_or_a_revoked_key_is_401(api: Api, platform: Platform, payee: Payee) -> None:
    method = bank_method(platform, payee)
    before = state()
    anonymous = Api(platform=platform, secret="", client=Client())
    for verb, path, body in calls(payee.id, method.id):
        assert_problem(call(anonymous, verb, path, body), 401, "not_authenticated")
    api_key_revoke(prefix=api.secret[:15])
    for verb, path, body in calls(payee.id, method.id):
        assert_problem(call(api, verb, path, body), 401, "invalid_api_key")
    assert state() == before


def test_a_key_without_the_payees_scope_is_403(
    scoped_api: Callable[[list[str]], Api], platform: Platform, payee: Payee
) -> None:
    method = bank_method(platform, payee)
    before = state()
    payouts_only = scoped_api(["payouts", "funds"])
    for verb, path, body in calls(payee.id, method.id):
        assert_problem(call(payouts_only, verb, path, body), 403, "insufficient_scope")
    assert state() == before


def test_another_platforms_ids_are_404_and_change_nothing(
    api: Api, other_api: Api, platform: Platform, payee: Payee
) -> None:
    method = bank_method(platform, payee)
    theirs = other_api.post("/v1/payees", {"external_id": "t", "type": "individual",
                                           "name": "Eve", "country": "US"}).json()  # fmt: skip
    before = state()
    # Our payee through their key.
    for verb, path, body in calls(payee.id, method.id):
        assert_problem(call(other_api, verb, path, body), 404, "payee_not_found")
    # Their payee with our method id.
    their_path = f"{methods_path(theirs['id'])}/{method.id}"
    assert_problem(other_api.get(their_path), 404, "payout_method_not_found")
    assert_problem(other_api.post(f"{their_path}/disable", {}), 404, "payout_method_not_found")
    assert state() == before
    assert other_api.get(methods_path(theirs["id"])).json()["results"] == []
    assert api.get(methods_path(payee.id)).json()["results"] == [rendered(method)]


def test_the_holder_name_defaults_to_the_payees_name(api: Api, payee: Payee) -> None:
    """An IBAN method given without a holder name takes the payee's own name."""
    body = {"type": "iban", "currency": "EUR", "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX"}  # fmt: skip
    response = api.post(methods_path(payee.id), body)
    assert response.status_code == 201, response.content
    assert response.json()["account_holder_name"] == payee.legal_name
