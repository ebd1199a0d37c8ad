"""``/v1/payees``: create, list, retrieve and update, with every validation error, auth, scope,
other platforms' ids and idempotent replays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from api.models import IdempotencyKey
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke
from tests.api.conftest import Api, assert_problem

pytestmark = pytest.mark.django_db

ADA = {
    "external_id": "driver-17",
    "type": "individual",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "country": "US",
    "metadata": {"team": "north"},
}


def rendered(payee: Payee) -> dict[str, Any]:
    return {
        "id": payee.id,
        "object": "payee",
        "external_id": payee.external_id,
        "type": payee.type,
        "name": payee.legal_name,
        "email": payee.email,
        "country": payee.country,
        "status": payee.status,
        "kyc_tier": "none",
        "metadata": payee.metadata,
        "created": payee.created.isoformat().replace("+00:00", "Z"),
        "updated": payee.updated.isoformat().replace("+00:00", "Z"),
    }


def state(platform: Platform) -> list[tuple[Any, ...]]:
    return list(
        Payee.objects.filter(platform=platform)
        .order_by("id")
        .values_list(
            "external_id", "type", "legal_name", "email", "country", "status", "metadata", "updated"
        )
    )


def field_errors(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


# --- create ----------------------------------------------------------------------------------


def test_create_then_retrieve_and_list(api: Api, platform: Platform) -> None:
    response = api.post("/v1/payees", ADA)
    assert response.status_code == 201, response.content
    payee = Payee.objects.get(platform=platform)
    body = response.json()
    assert body == rendered(payee)
    assert {k: body[k] for k in ADA} == ADA
    assert body["status"] == "active"
    assert response["Location"] == f"/v1/payees/{payee.id}"
    assert api.get(f"/v1/payees/{payee.id}").json() == body
    assert api.get("/v1/payees").json() == {"next": None, "previous": None, "results": [body]}


def test_create_with_only_the_required_fields(api: Api, platform: Platform) -> None:
    body = {"external_id": " acme-9 ", "type": "business", "name": " Acme Ltd ", "country": "gb"}
    response = api.post("/v1/payees", body, key=None)
    assert response.status_code == 201, response.content
    created = response.json()
    assert {k: created[k] for k in ("external_id", "type", "name", "email", "country")} == {
        "external_id": "acme-9",
        "type": "business",
        "name": "Acme Ltd",
        "email": "",
        "country": "GB",
    }
    assert created["metadata"] == {}


def test_metadata_at_its_limits_is_stored_exactly(api: Api, platform: Platform) -> None:
    metadata = {f"{i:02d}".ljust(40, "k"): "é" * 500 for i in range(50)}
    metadata["00".ljust(40, "k")] = ""
    response = api.post("/v1/payees", {**ADA, "metadata": metadata})
    assert response.status_code == 201, response.content
    assert response.json()["metadata"] == metadata
    assert Payee.objects.get(platform=platform).metadata == metadata


LONG_KEYS = {f"k{i}": "v" for i in range(51)}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"external_id": None}, "external_id", "null"),
        ({"external_id": ""}, "external_id", "blank"),
        ({"external_id": "   "}, "external_id", "blank"),
        ({"external_id": 17}, "external_id", "not_a_string"),
        ({"external_id": "x" * 129}, "external_id", "max_length"),
        ({"external_id": "a\x00b"}, "external_id", "null_characters_not_allowed"),
        ({"external_id": "a\ud800b"}, "external_id", "surrogate_characters_not_allowed"),
        ({"type": "robot"}, "type", "invalid_choice"),
        ({"type": "robot\ud800"}, "type", "invalid_choice"),
        ({"type": 1}, "type", "not_a_string"),
        ({"type": ["individual"]}, "type", "not_a_string"),
        ({"name": ""}, "name", "blank"),
        ({"name": 42}, "name", "not_a_string"),
        ({"name": "n" * 201}, "name", "max_length"),
        ({"name": "Ada\x00"}, "name", "null_characters_not_allowed"),
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"email": "ada@example.com\x00"}, "email", "null_characters_not_allowed"),
        ({"email": "a" * 250 + "@x.io"}, "email", "max_length"),
        ({"country": "XX"}, "country", "invalid_country"),
        ({"country": "USA"}, "country", "invalid_country"),
        ({"country": "ÜS"}, "country", "invalid_country"),
        ({"country": 1}, "country", "not_a_string"),
        ({"metadata": None}, "metadata", "null"),
        ({"metadata": []}, "metadata", "not_an_object"),
        ({"metadata": "team=north"}, "metadata", "not_an_object"),
        ({"metadata": LONG_KEYS}, "metadata", "too_many_keys"),
        ({"metadata": {"k" * 41: "v"}}, "metadata", "invalid_key"),
        ({"metadata": {"": "v"}}, "metadata", "invalid_key"),
        ({"metadata": {"k": 1}}, "metadata", "not_a_string"),
        ({"metadata": {"k": None}}, "metadata", "not_a_string"),
        ({"metadata": {"k": True}}, "metadata", "not_a_string"),
        ({"metadata": {"k": {"nested": "v"}}}, "metadata", "not_a_string"),
        ({"metadata": {"k": "v" * 501}}, "metadata", "value_too_long"),
        ({"metadata": {"k\x00": "v"}}, "metadata", "invalid_characters"),
        ({"metadata": {"k": "v\x00"}}, "metadata", "invalid_characters"),
        ({"metadata": {"k\udfff": "v"}}, "metadata", "invalid_characters"),
        ({"metadata": {"k": "\ud83d"}}, "metadata", "invalid_characters"),
        ({"kyc_tier": "full"}, "kyc_tier", "unknown_field"),
        ({"legal_name": "Ada"}, "legal_name", "unknown_field"),
        ({"\ud800": "x"}, "\\ud800", "unknown_field"),
        ({"a\x00": "x"}, "a\\x00", "unknown_field"),
    ],
)
def test_create_rejects_bad_fields_and_creates_nothing(
    api: Api, platform: Platform, change: dict[str, Any], field: str, code: str
) -> None:
    response = api.post("/v1/payees", {**ADA, **change})
    assert_problem(response, 400, "validation_error", field)
    assert (field, code) in field_errors(response)
    assert Payee.objects.filter(platform=platform).count() == 0


@pytest.mark.parametrize("missing", ["external_id", "type", "name", "country"])
def test_create_requires_its_fields(api: Api, platform: Platform, missing: str) -> None:
    body = {k: v for k, v in ADA.items() if k != missing}
    response = api.post("/v1/payees", body)
    assert_problem(response, 400, "validation_error", missing)
    assert field_errors(response) == [(missing, "required")]
    assert Payee.objects.filter(platform=platform).count() == 0


def test_every_missing_field_is_listed(api: Api) -> None:
    response = api.post("/v1/payees", {})
    assert_problem(response, 400, "validation_error")
    assert sorted(field_errors(response)) == [
        ("country", "required"),
        ("external_id", "required"),
        ("name", "required"),
        ("type", "required"),
    ]


@pytest.mark.parametrize("raw", ["[]", '"payee"', "null", "17", "{", "\xff"])
def test_create_rejects_bodies_that_are_not_objects(api: Api, platform: Platform, raw: str) -> None:
    response = api.post("/v1/payees", raw=raw.encode("latin-1"))
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Payee.objects.filter(platform=platform).count() == 0


def test_duplicate_external_id_is_409_and_creates_nothing(
    api: Api, other_api: Api, platform: Platform
) -> None:
    first = api.post("/v1/payees", ADA).json()
    response = api.post("/v1/payees", {**ADA, "name": "Someone Else"})
    body = assert_problem(response, 409, "duplicate_external_id", "external_id")
    assert field_errors(response) == [("external_id", "duplicate_external_id")]
    assert "driver-17" in body["detail"]
    assert [p["id"] for p in api.get("/v1/payees").json()["results"]] == [first["id"]]
    assert Payee.objects.get(platform=platform).legal_name == "Ada Lovelace"
    # External ids are per platform.
    assert other_api.post("/v1/payees", ADA).status_code == 201


def test_idempotent_replay_creates_one_payee(api: Api, platform: Platform) -> None:
    first = api.post("/v1/payees", ADA, key="create-ada-1")
    again = api.post("/v1/payees", dict(reversed(list(ADA.items()))), key="create-ada-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Payee.objects.filter(platform=platform).count() == 1

    reused = api.post("/v1/payees", {**ADA, "external_id": "driver-18"}, key="create-ada-1")
    assert_problem(reused, 422, "idempotency_key_reused")
    assert Payee.objects.filter(platform=platform).count() == 1


def test_idempotent_replay_of_a_refusal(api: Api, platform: Platform) -> None:
    api.post("/v1/payees", ADA)
    first = api.post("/v1/payees", ADA, key="dup-1")
    assert_problem(first, 409, "duplicate_external_id")
    again = api.post("/v1/payees", ADA, key="dup-1")
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert IdempotencyKey.objects.filter(platform=platform, key="dup-1").count() == 1


# --- list --------------------------------------------------------------------------------------


def test_list_filters_and_pages(
    api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payees = [make_payee(f"p-{i}") for i in range(5)]
    Payee.objects.filter(pk=payees[1].pk).update(status="blocked")
    Payee.objects.filter(pk=payees[0].pk).update(created=timezone.now() - dt.timedelta(days=10))

    def ids(params: dict[str, Any]) -> list[int]:
        response = api.get("/v1/payees", params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["results"]]

    newest_first = [p.id for p in reversed(payees)]
    assert ids({}) == newest_first
    assert ids({"status": "blocked"}) == [payees[1].id]
    assert ids({"status": "archived"}) == []
    assert ids({"external_id": "p-3"}) == [payees[3].id]
    assert ids({"external_id": "p-"}) == []
    week_ago = (timezone.now() - dt.timedelta(days=7)).isoformat()
    assert ids({"created_lte": week_ago}) == [payees[0].id]
    assert ids({"created_gte": week_ago}) == newest_first[:4]
    assert ids({"created_gte": week_ago, "status": "active"}) == [
        payees[4].id,
        payees[3].id,
        payees[2].id,
    ]

    page1 = api.get("/v1/payees", {"limit": 2}).json()
    assert [p["id"] for p in page1["results"]] == newest_first[:2]
    page2 = api.get(page1["next"]).json()
    assert [p["id"] for p in page2["results"]] == newest_first[2:4]


def test_list_shows_only_this_platforms_payees(
    api: Api, other_api: Api, make_payee: Callable[..., Payee]
) -> None:
    make_payee("ours")
    other_api.post("/v1/payees", {**ADA, "external_id": "theirs"})
    assert [p["external_id"] for p in api.get("/v1/payees").json()["results"]] == ["ours"]
    assert [p["external_id"] for p in other_api.get("/v1/payees").json()["results"]] == ["theirs"]
    assert other_api.get("/v1/payees", {"external_id": "ours"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "gone"}, "status"),
        ({"created_gte": "yesterday"}, "created_gte"),
        ({"created_lte": "2026-13-01"}, "created_lte"),
        ({"created_gte": "0001-01-01T00:00:00+14:00"}, "created_gte"),
        ({"created_lte": "9999-12-31T23:59:59-14:00"}, "created_lte"),
        ({"external_id": "x" * 129}, "external_id"),
        ({"external_id": "a\x00"}, "external_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_list_rejects_bad_filters(api: Api, params: dict[str, str], field: str) -> None:
    assert_problem(api.get("/v1/payees", params), 400, "validation_error", field)


# --- update ------------------------------------------------------------------------------------


def test_update_changes_only_what_is_sent(
    api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee("driver-17", metadata={"team": "north", "shift": "night"})
    response = api.patch(f"/v1/payees/{payee.id}", {"name": "Ada King", "email": ""})
    assert response.status_code == 200, response.content
    payee.refresh_from_db()
    assert response.json() == rendered(payee)
    assert (payee.legal_name, payee.email, payee.country, payee.status) == (
        "Ada King",
        "",
        "US",
        "active",
    )
    assert payee.metadata == {"team": "north", "shift": "night"}

    response = api.patch(
        f"/v1/payees/{payee.id}",
        {"country": "fr", "status": "blocked", "metadata": {"team": "south"}},
    )
    payee.refresh_from_db()
    assert response.json() == rendered(payee)
    assert (payee.legal_name, payee.country, payee.status, payee.metadata) == (
        "Ada King",
        "FR",
        "blocked",
        {"team": "south"},
    )
    for status in ("archived", "active"):
        assert api.patch(f"/v1/payees/{payee.id}", {"status": status}).json()["status"] == status
    assert api.patch(f"/v1/payees/{payee.id}", {"metadata": {}}).json()["metadata"] == {}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"status": "deleted"}, "status", "invalid_choice"),
        ({"status": None}, "status", "null"),
        ({"name": ""}, "name", "blank"),
        ({"name": 7}, "name", "not_a_string"),
        ({"email": "nope"}, "email", "invalid"),
        ({"country": "ZZ"}, "country", "invalid_country"),
        ({"metadata": ["a"]}, "metadata", "not_an_object"),
        ({"metadata": {"k": "\x00"}}, "metadata", "invalid_characters"),
        ({"external_id": "new-id"}, "external_id", "unknown_field"),
        ({"type": "business"}, "type", "unknown_field"),
        ({"kyc_tier": "full"}, "kyc_tier", "unknown_field"),
        ({"status": "active", "name": "Ok", "id": 5}, "id", "unknown_field"),
    ],
)
def test_update_rejects_bad_fields_and_changes_nothing(
    api: Api,
    platform: Platform,
    make_payee: Callable[..., Payee],
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    payee = make_payee()
    before = state(platform)
    response = api.patch(f"/v1/payees/{payee.id}", body)
    assert_problem(response, 400, "validation_error", field)
    assert (field, code) in field_errors(response)
    assert state(platform) == before


@pytest.mark.parametrize("body", [[], "x", None, 5])
def test_update_rejects_bodies_that_are_not_objects(
    api: Api, platform: Platform, make_payee: Callable[..., Payee], body: Any
) -> None:
    payee = make_payee()
    before = state(platform)
    assert_problem(api.patch(f"/v1/payees/{payee.id}", body), 400, "validation_error")
    assert state(platform) == before


def test_missing_payee_is_404(api: Api) -> None:
    for response in (
        api.get("/v1/payees/999999999"),
        api.patch("/v1/payees/999999999", {"name": "X"}),
    ):
        assert_problem(response, 404, "payee_not_found")
    # Not an id of ours at all: no such path.
    assert_problem(api.get("/v1/payees/0"), 404, "not_found")
    assert_problem(api.get("/v1/payees/99999999999999999999"), 404, "not_found")


# --- auth, scope, other platforms ----------------------------------------------------------------


def calls(payee_id: int) -> list[tuple[str, str, Any]]:
    return [
        ("post", "/v1/payees", {**ADA, "external_id": "new"}),
        ("get", "/v1/payees", None),
        ("get", f"/v1/payees/{payee_id}", None),
        ("patch", f"/v1/payees/{payee_id}", {"name": "Changed"}),
    ]


def call(client: Api, method: str, path: str, body: Any) -> Any:
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body)


def test_no_key_or_a_revoked_key_is_401_and_changes_nothing(
    api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee()
    before = state(platform)
    anonymous = Api(platform=platform, secret="", client=Client())
    for method, path, body in calls(payee.id):
        assert_problem(call(anonymous, method, path, body), 401, "not_authenticated")
    api_key_revoke(prefix=api.secret[:15])
    for method, path, body in calls(payee.id):
        assert_problem(call(api, method, path, body), 401, "invalid_api_key")
    assert state(platform) == before


def test_a_key_without_the_payees_scope_is_403(
    scoped_api: Callable[[list[str]], Api], platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee()
    before = state(platform)
    others = scoped_api(["payouts", "funds", "ledger", "webhooks"])
    for method, path, body in calls(payee.id):
        assert_problem(call(others, method, path, body), 403, "insufficient_scope")
    assert state(platform) == before
    payees_only = scoped_api(["payees"])
    assert payees_only.get(f"/v1/payees/{payee.id}").status_code == 200


def test_another_platforms_payee_is_404_and_unchanged(
    other_api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee()
    before = state(platform)
    assert_problem(other_api.get(f"/v1/payees/{payee.id}"), 404, "payee_not_found")
    for body in ({"name": "Mallory"}, {"status": "blocked"}, {}):
        assert_problem(other_api.patch(f"/v1/payees/{payee.id}", body), 404, "payee_not_found")
    assert state(platform) == before
