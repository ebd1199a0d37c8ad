"""The API as a platform's developers meet it: a client generated from the schema that
``/api/schema/`` publishes (openapi-python-client), driving a live server, a real Celery worker
and the sandbox provider over HTTP. Payee, payout method, funding, earning, payout, then the
payout polled through the client until it is paid; amounts, fee, balances and the status history
are read back through the client too.

If the generated client cannot express a step, or parses a response into something other than
the documented model, the published schema and the server disagree.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from payouts.platforms.services import api_key_create, platform_create
from tests.api.contract import GeneratedClient, generated_client
from tests.payouts.conftest import running  # noqa: F401 - fixture
from tests.support.payouts import ROUTING, Running, verify_clean
from tests.workers import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)

PAID_TIMEOUT_S = 60


@pytest.fixture
def published_schema(live_server: Any) -> dict[str, Any]:
    response = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"}, timeout=30)
    assert response.status_code == 200, response.text
    schema: dict[str, Any] = response.json()
    return schema


@pytest.fixture
def generated(published_schema: dict[str, Any], tmp_path: Path) -> Any:
    with generated_client(published_schema, tmp_path) as client:
        yield client


def _key() -> str:
    return uuid.uuid4().hex


def _ok(response: Any, status: int) -> Any:
    """The parsed body of a response that must have ``status``."""
    assert response.status_code == status, (response.status_code, response.content)
    return response.parsed


class Flow:
    """The generated client's operations, called as a platform would."""

    def __init__(self, gen: GeneratedClient, base_url: str, token: str) -> None:
        self.gen = gen
        self.client = gen.client(base_url, token, timeout=httpx.Timeout(30))
        self.model = gen.model

    def call(self, tag: str, operation: str, **kwargs: Any) -> Any:
        return self.gen.op(tag, operation).sync_detailed(client=self.client, **kwargs)

    def balances(self, payee_id: int) -> dict[str, tuple[str, str]]:
        body = _ok(self.call("payees", "payees_balances", payee_id=str(payee_id)), 200)
        return {line.currency: (line.available, line.held) for line in body.results}

    def lifetime_paid(self, payee_id: int) -> dict[str, str]:
        body = _ok(self.call("payees", "payees_balances", payee_id=str(payee_id)), 200)
        return {line.currency: line.lifetime_paid for line in body.results}

    def payout(self, payout_id: int) -> Any:
        return _ok(self.call("payouts", "payouts_retrieve", payout_id=str(payout_id)), 200)


def _setup(flow: Flow, account_number: str) -> tuple[Any, Any]:
    """A payee with a US bank account and 100.00 earned, out of a 1,000.00 funding."""
    model = flow.model
    payee = _ok(
        flow.call(
            "payees",
            "payees_create",
            body=model("PayeeCreateRequest")(
                external_id=f"driver-{_key()[:8]}",
                type_=model("PayeeType")("individual"),
                name="Ada Lovelace",
                email="ada@example.com",
                country="US",
            ),
            idempotency_key=_key(),
        ),
        201,
    )
    assert (payee.name, payee.country, payee.status.value) == ("Ada Lovelace", "US", "active")

    method = _ok(
        flow.call(
            "payout_methods",
            "payout_methods_create",
            payee_id=str(payee.id),
            body=model("UsBankAccountCreateRequest")(
                type_=model("UsBankAccountCreateTypeEnum")("us_bank_account"),
                currency="USD",
                routing_number=ROUTING,
                account_number=account_number,
                account_holder_name="Ada Lovelace",
            ),
            idempotency_key=_key(),
        ),
        201,
    )
    assert (method.payee, method.last4, method.currency) == (payee.id, account_number[-4:], "USD")

    funding = _ok(
        flow.call(
            "fundings",
            "fundings_create",
            body=model("FundingCreateRequest")(
                amount="1000.00", currency="USD", reference=f"wire-{_key()}"
            ),
            idempotency_key=_key(),
        ),
        201,
    )
    assert (funding.amount, funding.currency) == ("1000.00", "USD")

    earning = _ok(
        flow.call(
            "earnings",
            "earnings_create",
            body=model("EarningCreateRequest")(
                payee=payee.id, amount="100.00", currency="USD", description="week 45"
            ),
            idempotency_key=_key(),
        ),
        201,
    )
    assert (earning.payee, earning.amount) == (payee.id, "100.00")
    assert flow.balances(payee.id) == {"USD": ("100.00", "0.00")}
    return payee, method


def _platform_flow(generated: GeneratedClient, sandbox: Running) -> tuple[Flow, Any, str]:
    platform = platform_create(name=f"Contract {uuid.uuid4().hex[:8]}", currencies=["USD"])
    issued = api_key_create(platform=platform, name="contract")
    base_url = sandbox.callback_url.removesuffix("/callbacks/sandbox")
    return Flow(generated, base_url, issued.secret), platform, f"api_key:{issued.api_key.prefix}"


def _wait_until_final(flow: Flow, payout_id: int, final: str) -> Any:
    """Poll the payout through the client until its status is ``final``."""
    deadline = time.monotonic() + PAID_TIMEOUT_S
    while (current := flow.payout(payout_id)).status.value != final:
        assert current.status.value in {"scheduled", "processing"}, current.status
        assert time.monotonic() < deadline, f"not {final} after {PAID_TIMEOUT_S} s: {current}"
        time.sleep(0.2)
    return current


def test_fund_earn_pay_out_until_paid(generated: GeneratedClient, running: Running) -> None:  # noqa: F811
    flow, platform, actor = _platform_flow(generated, running)
    model = flow.model
    payee, method = _setup(flow, "000123456789")

    # More than is available: a documented problem, parsed into the Problem model.
    too_much = flow.call(
        "payouts",
        "payouts_create",
        body=model("PayoutCreateRequest")(
            payee=payee.id, payout_method=method.id, amount="100.01", currency="USD"
        ),
        idempotency_key=_key(),
    )
    problem = _ok(too_much, 422)
    assert (problem.code, problem.status) == ("insufficient_funds", 422)
    assert too_much.headers["Content-Type"] == "application/problem+json"
    assert flow.balances(payee.id) == {"USD": ("100.00", "0.00")}

    payout_key = _key()
    body = model("PayoutCreateRequest")(
        payee=payee.id, payout_method=method.id, amount="40.00", currency="USD"
    )
    created = flow.call("payouts", "payouts_create", body=body, idempotency_key=payout_key)
    payout = _ok(created, 201)
    assert created.headers["Location"] == f"/v1/payouts/{payout.id}"
    assert (payout.amount, payout.fee, payout.net_amount, payout.currency) == (
        "40.00",
        "0.25",
        "39.75",
        "USD",
    )
    assert (payout.status.value, payout.is_final, payout.payee) == ("scheduled", False, payee.id)
    assert payout.payout_method.id == method.id
    assert flow.balances(payee.id) == {"USD": ("60.00", "40.00")}

    # The same key and body replay the first answer; nothing new is created.
    replay = flow.call("payouts", "payouts_create", body=body, idempotency_key=payout_key)
    assert _ok(replay, 201).id == payout.id
    assert replay.headers["Idempotent-Replayed"] == "true"

    with celery_worker():
        current = _wait_until_final(flow, payout.id, "paid")

    assert current.is_final is False  # paid, but the rail's return window is open
    assert (current.amount, current.fee, current.net_amount) == ("40.00", "0.25", "39.75")
    assert current.rail == "sandbox"
    assert (current.failure_code, current.failure_message) == (None, None)
    assert len(current.ledger_entries) == 3  # hold, submit, settle

    history = _ok(flow.call("payouts", "payouts_transitions", payout_id=str(payout.id)), 200)
    steps = [(t.from_, t.to) for t in history.results]
    assert steps == [
        (None, "pending"),
        ("pending", "scheduled"),
        ("scheduled", "processing"),
        ("processing", "paid"),
    ]
    assert [t.actor for t in history.results[:2]] == [actor, actor]
    assert [t.ledger_entry for t in history.results if t.ledger_entry is not None] == sorted(
        current.ledger_entries
    )
    assert flow.balances(payee.id) == {"USD": ("60.00", "0.00")}
    assert flow.lifetime_paid(payee.id) == {"USD": "39.75"}
    verify_clean(platform)


def test_failed_by_the_receiving_bank(generated: GeneratedClient, running: Running) -> None:  # noqa: F811
    """Account ...0001: the sandbox's bank refuses after submission (insufficient funds); the
    client sees ``failed`` with the normalised failure code, and the whole amount back."""
    flow, platform, _ = _platform_flow(generated, running)
    payee, method = _setup(flow, "000123450001")
    body = flow.model("PayoutCreateRequest")(
        payee=payee.id, payout_method=method.id, amount="40.00", currency="USD"
    )
    payout = _ok(flow.call("payouts", "payouts_create", body=body, idempotency_key=_key()), 201)
    with celery_worker():
        current = _wait_until_final(flow, payout.id, "failed")
    assert current.is_final is True
    assert current.failure_code == "insufficient_funds"
    assert current.failure_message
    history = _ok(flow.call("payouts", "payouts_transitions", payout_id=str(payout.id)), 200)
    assert [(t.from_, t.to) for t in history.results][-2:] == [
        ("scheduled", "processing"),
        ("processing", "failed"),
    ]
    assert flow.balances(payee.id) == {"USD": ("100.00", "0.00")}
    verify_clean(platform)
