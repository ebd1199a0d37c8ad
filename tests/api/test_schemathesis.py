"""The whole API, fuzzed from its own OpenAPI schema (schemathesis), in process against the WSGI
app, as a seeded platform with a real API key.

Every operation that ``/api/schema/`` publishes when this module is collected gets its own test,
with valid (positive) and invalid (negative) inputs from three phases: the schema's examples,
boundary "coverage" values and random fuzzing. Every response must:
- never be a 5xx (no input may produce a 500);
- have a status code the operation documents, a documented content type, and a body (and
  headers) that match the documented schema;
- refuse the request without the API key (401), refuse it without a required header (the
  Idempotency-Key of money-moving POSTs), and answer 405 to a method the path does not have.
A failure prints the case and a curl command that reproduces it. Each case gets a fresh
Idempotency-Key (a generated invalid one is kept, to be refused), so none replays another.

Positive cases are also sent a second time with the seeded objects' ids in the path and body
(and ``USD`` as the currency), so the views' happy and state-dependent paths run, not only 404s.

``SCHEMATHESIS_MAX_EXAMPLES`` (default 10) bounds the fuzzing phase per operation and mode;
``SCHEMATHESIS_SEED`` fixes the seed (generation is also derandomized), so a run is reproducible;
``SCHEMATHESIS_STRICT=1`` also requires every input the schema forbids to be refused.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from config.wsgi import application
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_create, platform_create
from tests.support.payouts import bank_method, earn, fund, pay

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261101"))
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
    missing_required_header,
    unsupported_method,
]
if os.environ.get("SCHEMATHESIS_STRICT") == "1":
    # Input the schema forbids must be refused. Off by default: DRF's CharField takes a JSON
    # number for a string (``"reference": 0`` is stored as "0"), and a batch accepts a bad item
    # as an invalid item by design; both are leniencies, not 500s (see docs/api.md).
    CHECKS.append(negative_data_rejection)

# Ids of the seeded objects, by the name a path parameter or body field gives them
# (``payout_id`` and ``payout`` both mean the seeded payout). Filled by the ``seeded`` fixture.
KNOWN: dict[str, int] = {}


@pytest.fixture
def seeded(db: None, settings: Any) -> Iterator[str]:
    """A platform with a payee, a bank method, a funding, an earning, a scheduled payout, a batch
    awaiting approval and a webhook endpoint; yields an API key with every scope. The rate limit
    and the failed-authentication limit are off: the fuzzer sends far more than a client would,
    and a bad key to every operation."""
    settings.API_RATE_LIMIT_PER_S = 0
    settings.API_AUTH_FAILURES_PER_MIN = 0
    # The app is called as a WSGI app, not through Django's test client, so do what that client
    # does: keep the request signals from closing the test's connection (it is in a transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    platform = platform_create(
        name=f"Fuzzed {uuid.uuid4().hex[:8]}",
        currencies=["USD", "EUR"],
        approval_thresholds={"USD": "1000.00"},  # the seeded batch waits for approval
    )
    secret = api_key_create(platform=platform, name="schemathesis").secret
    KNOWN.clear()
    KNOWN.update(_seed(platform))
    try:
        yield secret
    finally:
        KNOWN.clear()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _seed(platform: Platform) -> dict[str, int]:
    from ledger.selectors import account_get
    from payouts.batches.services import batch_create
    from payouts.common.accounts import available_code
    from payouts.funds.models import Earning, Funding
    from payouts.payees.services import payee_create
    from webhooks.endpoints import endpoint_create

    payee = payee_create(
        platform=platform,
        external_id="fuzz-1",
        type="individual",
        legal_name="Ada Lovelace",
        email="ada@example.com",
        country="US",
    )
    method = bank_method(platform, payee)
    fund(platform, "100000.00")
    earn(platform, payee, "50000.00")
    payout = pay(
        platform, payee, method, "10.00", scheduled_for=timezone.now() + dt.timedelta(days=3)
    )
    item = {"payee": payee.id, "payout_method": method.id, "amount": "1000.00", "currency": "USD"}
    batch = batch_create(platform=platform, items=[item], actor="user:maker")
    endpoint, _ = endpoint_create(platform=platform, url="https://example.com/hooks")
    funding = Funding.objects.filter(platform=platform).latest("id")
    earning = Earning.objects.filter(platform=platform).latest("id")
    account = account_get(book_id=platform.book_id, code=available_code(payee.id), currency="USD")
    assert account is not None and funding.entry_id is not None
    known = {
        "payee": payee.id,
        "method": method.id,
        "payout_method": method.id,
        "payout": payout.id,
        "funding": funding.id,
        "earning": earning.id,
        "endpoint": endpoint.id,
        "webhook_endpoint": endpoint.id,
        "batch": batch.id,
        "account": account.id,
        "entry": funding.entry_id,
    }
    event_id = _first_event_id(platform)
    if event_id is not None:
        known["event"] = event_id
    return known


def _first_event_id(platform: Platform) -> int | None:
    from webhooks.models import Event

    return Event.objects.filter(platform=platform).values_list("id", flat=True).first()


def _known_id(name: str) -> int | None:
    return KNOWN.get(name.removesuffix("_id"))


def _with_seeded_ids(case: schemathesis.Case) -> bool:
    """Point ``case`` at the seeded objects; False when nothing in it names one."""
    changed = False
    for name in list(case.path_parameters):
        known = _known_id(name)
        if known is not None:
            case.path_parameters[name] = str(known)
            changed = True
    if isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            known = _known_id(name)
            if known is not None and not isinstance(value, dict | list):
                case.body[name] = known
                changed = True
            elif name == "currency" and isinstance(value, str):
                case.body[name] = "USD"
                changed = True
    return changed


def _fresh_idempotency_key(case: schemathesis.Case) -> None:
    """A valid generated key becomes a fresh one, so no case replays another's response; an
    invalid or missing one (negative data, a missing required header) stays, to be refused."""
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if key is not None and _IDEMPOTENCY_KEY.fullmatch(str(key)):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def _is_positive(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


@schema.parametrize()
@hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_api(case: schemathesis.Case, seeded: str) -> None:
    auth = {"Authorization": f"Bearer {seeded}"}
    _fresh_idempotency_key(case)
    case.call_and_validate(headers=auth, checks=CHECKS)
    if _is_positive(case) and _with_seeded_ids(case):
        _fresh_idempotency_key(case)
        case.call_and_validate(headers=auth, checks=CHECKS)


def test_the_schema_publishes_operations() -> None:
    """The fuzzing above is only as wide as the schema: it must publish the core resources."""
    paths = set(schema.raw_schema["paths"])
    assert {"/v1/payouts", "/v1/payouts/{payout_id}", "/v1/fundings", "/v1/earnings"} <= paths
