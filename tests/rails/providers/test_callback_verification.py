"""Our adapter's check of a sandbox callback: signature, timestamp tolerance, body shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rails.providers.sandbox import InvalidSignature, MalformedCallback, verify_callback
from rails.types import TransferStatus
from sandbox.callbacks import signature_header

# --- callback verification ---------------------------------------------------------------------


SECRET = "whsec_unit"
EVENT: dict[str, Any] = {
    "id": "ev_7",
    "sequence": 7,
    "type": "transfer.paid",
    "created": 1_800_000_000,
    "transfer": {
        "id": "tr_1",
        "idempotency_key": "att_1",
        "status": "paid",
        "amount_minor": 100,
        "currency": "USD",
        "reference": "po_1",
        "failure_code": "",
        "raw_code": "",
        "failure_message": "",
    },
}
BODY = json.dumps({"events": [EVENT]}).encode()
NOW = 1_800_000_100


def test_verify_callback_accepts_a_fresh_valid_signature() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=NOW - 10)

    events = verify_callback(body=BODY, signature_header=header, secret=SECRET, now=NOW)

    assert [(e.sequence, e.event_id, e.transfer.status) for e in events] == [
        (7, "ev_7", TransferStatus.PAID)
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "signature",
        "stale",
        "future",
        "no_timestamp",
        "no_signature",
        "garbage",
        "non_ascii",
        "empty",
    ],
)
def test_verify_callback_refuses_what_it_cannot_trust(tamper: str) -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=NOW)
    timestamp, signature = header.split(",")
    body = BODY
    if tamper == "body":
        body = BODY.replace(b"100", b"900")
    elif tamper == "signature":
        header = f"{timestamp},v1={'0' * 64}"
    elif tamper == "stale":
        header = signature_header(secret=SECRET, body=BODY, timestamp=NOW - 301)
    elif tamper == "future":
        header = signature_header(secret=SECRET, body=BODY, timestamp=NOW + 301)
    elif tamper == "no_timestamp":
        header = signature
    elif tamper == "no_signature":
        header = timestamp
    elif tamper == "garbage":
        header = "t=abc,v1=xyz"
    elif tamper == "non_ascii":
        header = f"{timestamp},v1=é{'0' * 63}"
    elif tamper == "empty":
        header = ""

    with pytest.raises(InvalidSignature):
        verify_callback(body=body, signature_header=header, secret=SECRET, now=NOW)


def test_verify_callback_accepts_any_matching_signature_during_rotation() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=NOW)
    rotated = header.replace("v1=", f"v1={'f' * 64},v1=")

    assert len(verify_callback(body=BODY, signature_header=rotated, secret=SECRET, now=NOW)) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"data": []}',
        b'{"events": {}}',
        json.dumps({"events": [{**EVENT, "sequence": "7"}]}).encode(),
        json.dumps(
            {"events": [{**EVENT, "transfer": {**EVENT["transfer"], "status": "x"}}]}
        ).encode(),
    ],
)
def test_verify_callback_refuses_a_malformed_body_even_when_signed(body: bytes) -> None:
    header = signature_header(secret=SECRET, body=body, timestamp=NOW)

    with pytest.raises(MalformedCallback):
        verify_callback(body=body, signature_header=header, secret=SECRET, now=NOW)


def test_verify_callback_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_callback(body=BODY, signature_header="t=1,v1=00", secret="", now=NOW)
