"""The webhook signature (webhooks.signing) and the copy of it in the docs' example receiver."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import time
from pathlib import Path

import pytest

from webhooks.signing import SignatureError, sign, verify

BODY = b'{"id":1,"type":"payout.paid"}'
OLD = "whsec_old_secret_0000000000000000000000000000"
NEW = "whsec_new_secret_1111111111111111111111111111"
T = 1_767_225_600
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_receiver.py"


def _hex(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_header_is_t_and_one_v1_per_secret() -> None:
    assert sign(BODY, [NEW], T) == f"t={T},v1={_hex(NEW, T, BODY)}"
    assert sign(BODY, [NEW, OLD], T) == f"t={T},v1={_hex(NEW, T, BODY)},v1={_hex(OLD, T, BODY)}"


def test_good_signature_verifies() -> None:
    verify(BODY, sign(BODY, [NEW], T), NEW, now=T)
    verify(BODY, sign(BODY, [NEW], T), NEW, now=T + 300)
    verify(BODY, sign(BODY, [NEW], T), NEW, now=T - 300)
    now = int(time.time())
    verify(BODY, sign(BODY, [NEW], now), NEW)


def test_tampered_body_fails() -> None:
    header = sign(BODY, [NEW], T)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY.replace(b"paid", b"fail"), header, NEW, now=T)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY + b" ", header, NEW, now=T)


def test_wrong_secret_fails() -> None:
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY, sign(BODY, [NEW], T), OLD, now=T)


def test_changed_timestamp_fails() -> None:
    header = sign(BODY, [NEW], T).replace(f"t={T}", f"t={T + 1}")
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY, header, NEW, now=T)


@pytest.mark.parametrize("now", [T + 301, T - 301, T + 86400])
def test_stale_or_future_timestamp_fails(now: int) -> None:
    with pytest.raises(SignatureError, match="outside the tolerance"):
        verify(BODY, sign(BODY, [NEW], T), NEW, now=now)


def test_tolerance_is_configurable() -> None:
    header = sign(BODY, [NEW], T)
    verify(BODY, header, NEW, tolerance_s=3600, now=T + 3600)
    with pytest.raises(SignatureError):
        verify(BODY, header, NEW, tolerance_s=10, now=T + 11)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=,v1=abc",
        f"t=abc,v1={'0' * 64}",
        f"t=-{T},v1={'0' * 64}",
        f"v1={_hex(NEW, T, BODY)}",
        f"t={T}",
        f"t={T},v0={_hex(NEW, T, BODY)}",
        f"t={T},t={T},v1={_hex(NEW, T, BODY)}",
        f"t={T},v1",
        f"t=١٢٣,v1={'0' * 64}",  # non-ASCII digits
        "t=1," + "v1=" + "a" * 5000,
    ],
)
def test_malformed_header_fails(header: str) -> None:
    with pytest.raises(SignatureError):
        verify(BODY, header, NEW, now=T)


def test_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(BODY, f"t={T},v1=é{'0' * 63}", NEW, now=T)


def test_unknown_keys_are_ignored() -> None:
    header = f"t={T},v0=deadbeef,v1={_hex(NEW, T, BODY)},v2=cafe"
    verify(BODY, header, NEW, now=T)


def test_during_rotation_either_secret_verifies() -> None:
    header = sign(BODY, [NEW, OLD], T)
    verify(BODY, header, NEW, now=T)
    verify(BODY, header, OLD, now=T)
    with pytest.raises(SignatureError):
        verify(BODY, header, "whsec_someone_else", now=T)
    # After the overlap only the new secret signs.
    with pytest.raises(SignatureError):
        verify(BODY, sign(BODY, [NEW], T), OLD, now=T)


def test_empty_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        verify(BODY, sign(BODY, [NEW], T), "", now=T)
    with pytest.raises(ValueError, match="secret"):
        sign(BODY, [], T)
    with pytest.raises(ValueError, match="secret"):
        sign(BODY, [NEW, ""], T)
    with pytest.raises(ValueError, match="Unix"):
        sign(BODY, [NEW], -1)


def test_the_docs_example_verifies_as_we_sign() -> None:
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    now = int(time.time())
    example.verify(BODY, sign(BODY, [NEW, OLD], now), OLD)
    example.verify(BODY, sign(BODY, [NEW, OLD], now), NEW)
    for bad_body, header, secret in [
        (BODY + b"x", sign(BODY, [NEW], now), NEW),
        (BODY, sign(BODY, [NEW], now), OLD),
        (BODY, sign(BODY, [NEW], now - 301), NEW),
        (BODY, "t=1", NEW),
    ]:
        with pytest.raises(example.SignatureError):
            example.verify(bad_body, header, secret)
