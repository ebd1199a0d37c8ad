"""``/v1/ledger``: the platform's own book, read-only. Accounts with balances (hot accounts
summed over their shards, the shards never shown), statements with running balances, entries
with their postings; another book's accounts and entries answer 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from ledger import selectors as ledger_selectors
from payouts.common.accounts import available_code
from payouts.execution.submission import payouts_start_due
from payouts.lifecycle.models import Payout
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import bank_method, earn, fund, pay

pytestmark = pytest.mark.django_db

USD_CHART = [
    "cash",
    "fees",
    "funding",
    "in_transit:sandbox",
    "suspense",
    "withholding",
]


@dataclass
class Book:
    payee: Payee
    payout: Payout
    day: dt.date
    accounts: dict[str, dict[str, Any]]  # USD accounts by code, as the API shows them


def _accounts(api: Api, **params: str) -> list[dict[str, Any]]:
    """Every page of the account list."""
    found: list[dict[str, Any]] = []
    response = api.get("/v1/ledger/accounts", {"limit": "100", **params})
    while True:
        assert response.status_code == 200, response.content
        found += response.json()["results"]
        if response.json()["next"] is None:
            return found
        response = api.get(response.json()["next"])


@pytest.fixture
def book(api: Api, platform: Platform, make_payee: Callable[..., Payee]) -> Book:
    """Funded 1,000.00, earned 100.00, paid out 40.00 (fee 0.25) and submitted to the rail."""
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    payout = pay(platform, payee, method, "40.00")
    payouts_start_due()
    accounts = {a["code"]: a for a in _accounts(api, currency="USD")}
    entries = api.get("/v1/ledger/entries").json()["results"]
    return Book(payee, payout, dt.date.fromisoformat(entries[0]["effective_date"]), accounts)


def _entries(api: Api, **params: str) -> list[dict[str, Any]]:
    response = api.get("/v1/ledger/entries", params)
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


# --- accounts ----------------------------------------------------------------------------------


def test_accounts_with_balances_shards_folded_into_their_parents(api: Api, book: Book) -> None:
    held, available = f"payee:{book.payee.id}:held", available_code(book.payee.id)
    assert sorted(book.accounts) == sorted([*USD_CHART, available, held])
    balances = {code: a["balance"] for code, a in book.accounts.items()}
    assert balances == {
        "cash": "1000.00",
        "fees": "0.25",
        "funding": "900.00",
        "in_transit:sandbox": "39.75",
        "suspense": "0.00",
        "withholding": "0.00",
        available: "60.00",
        held: "0.00",
    }
    fees = book.accounts["fees"]
    assert fees == {
        "id": fees["id"],
        "object": "ledger_account",
        "code": "fees",
        "name": "fees",
        "currency": "USD",
        "type": "revenue",
        "normal_side": "credit",
        "balance": "0.25",
        "floor": None,
        "version": 1,
    }
    assert book.accounts["cash"]["type"] == "asset"
    assert book.accounts["cash"]["normal_side"] == "debit"
    assert (book.accounts["funding"]["floor"], book.accounts["funding"]["version"]) == ("0.00", 2)
    # Newest first, and EUR has its own chart.
    everything = _accounts(api)
    assert [a["id"] for a in everything] == sorted((a["id"] for a in everything), reverse=True)
    assert sorted(a["code"] for a in everything if a["currency"] == "EUR") == USD_CHART


def test_accounts_filtered_by_code_prefix_and_currency(api: Api, book: Book) -> None:
    payee_accounts = _accounts(api, code_prefix="payee:")
    assert [a["code"] for a in payee_accounts] == [
        f"payee:{book.payee.id}:held",
        available_code(book.payee.id),
    ]
    assert _accounts(api, code_prefix="payee:", currency="EUR") == []
    assert [a["code"] for a in _accounts(api, code_prefix="in_transit:")] == [
        "in_transit:sandbox",
        "in_transit:sandbox",
    ]
    # LIKE wildcards are matched literally.
    assert _accounts(api, code_prefix="%") == [] and _accounts(api, code_prefix="_") == []


def test_account_pages_walk_forwards_and_back(api: Api, book: Book) -> None:
    everything = [a["id"] for a in _accounts(api)]
    assert len(everything) == 14
    first = api.get("/v1/ledger/accounts", {"limit": "5"}).json()
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert third["next"] is None
    pages = [first, second, third]
    assert [a["id"] for page in pages for a in page["results"]] == everything
    back = api.get(third["previous"]).json()
    assert [a["id"] for a in back["results"]] == [a["id"] for a in second["results"]]
    assert api.get(back["previous"]).json()["results"] == first["results"]
    assert api.get(back["previous"]).json()["previous"] is None


def test_account_retrieve(api: Api, book: Book) -> None:
    funding = book.accounts["funding"]
    response = api.get(f"/v1/ledger/accounts/{funding['id']}")
    assert response.status_code == 200
    assert response.json() == funding


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"currency": "usd"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"code_prefix": "x" * 201}, "code_prefix"),
        ({"code_prefix": "a\x00b"}, "code_prefix"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "nonsense"}, "cursor"),
        ({"cursor": "Yjo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}, "cursor"),  # b:<beyond bigint>
        ({"cursor": "czox"}, "cursor"),  # a statement's cursor
    ],
)
def test_account_list_validation(api: Api, params: dict[str, str], field: str) -> None:
    assert_problem(api.get("/v1/ledger/accounts", params), 400, "validation_error", field)


# --- statements --------------------------------------------------------------------------------


def _statement(
    api: Api, account_id: int, date_from: dt.date, date_to: dt.date, **extra: str
) -> Any:
    params = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), **extra}
    return api.get(f"/v1/ledger/accounts/{account_id}/statement", params)


def test_statement_with_running_balances(api: Api, book: Book) -> None:
    available = book.accounts[available_code(book.payee.id)]
    response = _statement(api, available["id"], book.day, book.day)
    assert response.status_code == 200
    body = response.json()
    lines = body.pop("lines")
    assert body == {
        "object": "ledger_statement",
        "account": available,
        "date_from": book.day.isoformat(),
        "date_to": book.day.isoformat(),
        "opening_balance": "0.00",
        "closing_balance": "60.00",
        "total_debits": "40.00",
        "total_credits": "100.00",
        "line_count": 2,
        "next": None,
    }
    assert [(ln["kind"], ln["side"], ln["amount"], ln["balance"]) for ln in lines] == [
        ("earning.credited", "credit", "100.00", "100.00"),
        ("payout.hold", "debit", "40.00", "60.00"),
    ]
    assert lines[0]["effective_date"] == book.day.isoformat()
    entry = api.get(f"/v1/ledger/entries/{lines[1]['entry']}").json()
    assert entry["kind"] == "payout.hold"
    assert lines[1]["posting"] in [p["id"] for p in entry["postings"]]


def test_statement_pages_carry_the_running_balance(api: Api, book: Book) -> None:
    available = book.accounts[available_code(book.payee.id)]
    first = _statement(api, available["id"], book.day, book.day, limit="1").json()
    assert [(ln["amount"], ln["balance"]) for ln in first["lines"]] == [("100.00", "100.00")]
    assert (first["opening_balance"], first["closing_balance"]) == ("0.00", "60.00")
    second = api.get(first["next"]).json()
    assert [(ln["amount"], ln["balance"]) for ln in second["lines"]] == [("40.00", "60.00")]
    assert second["next"] is None
    assert (second["line_count"], second["total_debits"]) == (2, "40.00")


def test_statement_of_a_hot_account_and_of_quiet_days(api: Api, book: Book) -> None:
    fees = book.accounts["fees"]
    body = _statement(api, fees["id"], book.day, book.day).json()
    assert [(ln["kind"], ln["side"], ln["balance"]) for ln in body["lines"]] == [
        ("payout.submit", "credit", "0.25")
    ]
    cash = book.accounts["cash"]
    day = dt.timedelta(days=1)
    later = _statement(api, cash["id"], book.day + day, book.day + 10 * day).json()
    assert (later["opening_balance"], later["closing_balance"], later["lines"]) == (
        "1000.00",
        "1000.00",
        [],
    )
    earlier = _statement(api, cash["id"], book.day - 366 * day, book.day - day).json()
    assert (earlier["opening_balance"], earlier["closing_balance"], earlier["line_count"]) == (
        "0.00",
        "0.00",
        0,
    )


def test_statement_validation(api: Api, book: Book) -> None:
    cash = book.accounts["cash"]["id"]
    path = f"/v1/ledger/accounts/{cash}/statement"
    day = dt.timedelta(days=1)
    cases: list[tuple[dict[str, str], str, str]] = [
        ({}, "date_from", "required"),
        ({}, "date_to", "required"),
        ({"date_from": "2026-01-01"}, "date_to", "required"),
        ({"date_from": "2026-13-01", "date_to": "2026-12-31"}, "date_from", "invalid"),
        ({"date_from": "yesterday", "date_to": "2026-12-31"}, "date_from", "invalid"),
        ({"date_from": "2026-01-02", "date_to": "2026-01-01"}, "date_to", "invalid_range"),
        ({"date_from": "2025-01-01", "date_to": "2026-01-02"}, "date_to", "range_too_long"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-01", "limit": "0"}, "limit", "invalid"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-01", "cursor": "x"}, "cursor", "invalid"),
    ]
    for params, field, code in cases:
        body = assert_problem(api.get(path, params), 400, "validation_error", field)
        assert (field, code) in [(e["field"], e["code"]) for e in body["errors"]], params
    # 366 days, both ends included, is allowed.
    ok = {"date_from": "2025-01-01", "date_to": "2026-01-01"}
    assert api.get(path, ok).status_code == 200
    # A cursor must be a line of this statement: not another account's, not another range's.
    available = book.accounts[available_code(book.payee.id)]["id"]
    line = _statement(api, available, book.day, book.day, limit="1").json()
    cursor = line["next"].split("cursor=")[1].split("&")[0]
    assert_problem(
        _statement(api, cash, book.day, book.day, cursor=cursor), 400, "invalid_input", "cursor"
    )
    assert_problem(
        _statement(api, available, book.day + day, book.day + day, cursor=cursor),
        400,
        "invalid_input",
        "cursor",
    )


# --- entries -----------------------------------------------------------------------------------


def test_entries_newest_first_with_their_postings(api: Api, book: Book) -> None:
    entries = _entries(api)
    assert [e["kind"] for e in entries] == [
        "payout.submit",
        "payout.hold",
        "earning.credited",
        "funding.received",
    ]
    submit = entries[0]
    assert submit["refs"]["payout"] == book.payout.id
    held = f"payee:{book.payee.id}:held"
    postings = [
        (p["account"], p["account_code"], p["side"], p["amount"], p["currency"], p["balance_after"])
        for p in submit["postings"]
    ]
    ids = {code: a["id"] for code, a in book.accounts.items()}
    assert sorted(postings) == sorted(
        [
            (ids[held], held, "debit", "40.00", "USD", "0.00"),
            # Hot accounts: shown on the parent, without a per-shard running balance.
            (ids["in_transit:sandbox"], "in_transit:sandbox", "credit", "39.75", "USD", None),
            (ids["fees"], "fees", "credit", "0.25", "USD", None),
        ]
    )
    assert api.get(f"/v1/ledger/entries/{submit['id']}").json() == submit
    assert set(submit) == {
        "id",
        "object",
        "kind",
        "memo",
        "effective_date",
        "created",
        "reverses",
        "refs",
        "metadata",
        "postings",
    }


def test_entries_filtered_and_paged(api: Api, book: Book) -> None:
    assert [e["kind"] for e in _entries(api, kind="payout.hold")] == ["payout.hold"]
    assert _entries(api, kind="nothing.like.this") == []
    everything = _entries(api)
    hold_at = next(e["created"] for e in everything if e["kind"] == "payout.hold")
    assert [e["kind"] for e in _entries(api, created_gte=hold_at)] == [
        "payout.submit",
        "payout.hold",
    ]
    assert [e["kind"] for e in _entries(api, created_lte=hold_at)] == [
        "payout.hold",
        "earning.credited",
        "funding.received",
    ]
    assert _entries(api, created_gte="2000-01-01T00:00:00Z", created_lte="2000-01-02T00:00Z") == []
    first = api.get("/v1/ledger/entries", {"limit": "3"}).json()
    assert [e["id"] for e in first["results"]] == [e["id"] for e in everything[:3]]
    second = api.get(first["next"]).json()
    assert [e["id"] for e in second["results"]] == [everything[3]["id"]]
    assert second["next"] is None
    assert api.get(second["previous"]).json()["results"] == first["results"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "k" * 65}, "kind"),
        ({"created_gte": "monday"}, "created_gte"),
        ({"created_lte": "2026-02-30T00:00:00Z"}, "created_lte"),
        ({"limit": "-1"}, "limit"),
        ({"cursor": "YjotMQ"}, "cursor"),  # b:-1
    ],
)
def test_entry_list_validation(api: Api, params: dict[str, str], field: str) -> None:
    assert_problem(api.get("/v1/ledger/entries", params), 400, "validation_error", field)


# --- the tenant boundary, auth and scope -------------------------------------------------------


def test_another_books_accounts_and_entries_are_404(api: Api, other_api: Api, book: Book) -> None:
    before = (_accounts(api), _entries(api))
    entry_id = _entries(api)[0]["id"]
    for account in book.accounts.values():
        assert_problem(
            other_api.get(f"/v1/ledger/accounts/{account['id']}"), 404, "ledger_account_not_found"
        )
        assert_problem(
            _statement(other_api, account["id"], book.day, book.day),
            404,
            "ledger_account_not_found",
        )
    assert_problem(other_api.get(f"/v1/ledger/entries/{entry_id}"), 404, "ledger_entry_not_found")
    theirs = {a["id"] for a in _accounts(other_api)}
    assert theirs.isdisjoint(a["id"] for a in book.accounts.values())
    assert _entries(other_api) == []
    assert (_accounts(api), _entries(api)) == before


def test_missing_ids_and_shards_are_404(api: Api, book: Book) -> None:
    assert_problem(api.get("/v1/ledger/accounts/999999999"), 404, "ledger_account_not_found")
    assert_problem(api.get("/v1/ledger/entries/999999999"), 404, "ledger_entry_not_found")
    assert_problem(api.get("/v1/ledger/accounts/99999999999999999999"), 404, "not_found")
    # A hot account's shards are internal: the API only knows the parent.
    submit = ledger_selectors.entry_get(entry_id=_entries(api)[0]["id"])
    assert submit is not None
    known = {a["id"] for a in book.accounts.values()}
    shard_ids = {p.account_id for p in submit.postings} - known
    assert len(shard_ids) == 2
    for shard_id in shard_ids:
        assert_problem(api.get(f"/v1/ledger/accounts/{shard_id}"), 404, "ledger_account_not_found")


PATHS = [
    "/v1/ledger/accounts",
    "/v1/ledger/accounts/{account}",
    "/v1/ledger/accounts/{account}/statement?date_from=2026-01-01&date_to=2026-01-31",
    "/v1/ledger/entries",
    "/v1/ledger/entries/{entry}",
]


def _paths(api: Api, book: Book) -> list[str]:
    ids = {"account": book.accounts["cash"]["id"], "entry": _entries(api)[0]["id"]}
    return [path.format(**ids) for path in PATHS]


def test_no_key_or_a_revoked_key_is_401(api: Api, platform: Platform, book: Book) -> None:
    paths = _paths(api, book)
    anonymous = Api(platform=platform, secret="", client=Client())
    for path in paths:
        assert_problem(anonymous.get(path), 401, "not_authenticated")
    api_key_revoke(prefix=api.secret[:15])
    for path in paths:
        assert_problem(api.get(path), 401, "invalid_api_key")


def test_a_key_without_the_ledger_scope_is_403(
    api: Api, book: Book, scoped_api: Callable[[list[str]], Api]
) -> None:
    others = scoped_api(["payees", "payouts", "funds", "webhooks"])
    ledger_only = scoped_api(["ledger"])
    for path in _paths(api, book):
        assert_problem(others.get(path), 403, "insufficient_scope")
        assert ledger_only.get(path).status_code == 200, path


def test_the_ledger_is_read_only(api: Api, book: Book) -> None:
    cash = book.accounts["cash"]["id"]
    before = _entries(api)
    for path in ("/v1/ledger/accounts", f"/v1/ledger/accounts/{cash}", "/v1/ledger/entries"):
        assert_problem(api.post(path, {}), 405, "method_not_allowed")
        assert_problem(api.delete(path), 405, "method_not_allowed")
    assert _entries(api) == before
