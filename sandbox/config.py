"""The sandbox's settings, parsed from its command line (``python -m sandbox --help``)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

PREFIX_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Well-known test credentials (like Stripe's test keys); real deployments pass their own.
DEFAULT_API_KEY = "sk_sandbox_test"
DEFAULT_WEBHOOK_SECRET = "whsec_sandbox_test"  # noqa: S105


@dataclass(frozen=True)
class SandboxConfig:
    redis_url: str
    prefix: str = "sandbox"
    api_key: str = DEFAULT_API_KEY
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    callback_url: str = ""
    settle_after_ms: int = 2000
    return_after_ms: int = 5000
    timeout_hang_s: float = 10.0
    max_amount_minor: int = 1_000_000_000
    callback_timeout_s: float = 5.0


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8100
    workers: int = 2
    log_level: str = "info"


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _prefix(text: str) -> str:
    if not PREFIX_RE.fullmatch(text):
        raise argparse.ArgumentTypeError("letters, digits, '_', '.', '-' only (<= 64)")
    return text


def arguments_parse(argv: Sequence[str] | None = None) -> tuple[SandboxConfig, ServerOptions]:
    """Parse the command line; exits with status 2 and a usage message on bad arguments.

    Secrets may come from ``SANDBOX_API_KEY`` / ``SANDBOX_WEBHOOK_SECRET`` so that they do not
    show in the process list; ``REDIS_URL`` is the default Redis.
    """
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="The sandbox payment provider (see sandbox/README.md).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--prefix", type=_prefix, default="sandbox", help="Redis key prefix")
    parser.add_argument("--callback-url", default="", help="where to POST signed event batches")
    parser.add_argument(
        "--webhook-secret", default=os.environ.get("SANDBOX_WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET)
    )
    parser.add_argument("--api-key", default=os.environ.get("SANDBOX_API_KEY", DEFAULT_API_KEY))
    parser.add_argument("--settle-after-ms", type=_non_negative, default=2000)
    parser.add_argument("--return-after-ms", type=_non_negative, default=5000)
    parser.add_argument("--timeout-hang-s", type=float, default=10.0)
    parser.add_argument("--max-amount-minor", type=_non_negative, default=1_000_000_000)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("--redis-url (or REDIS_URL) is required")
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    config = SandboxConfig(
        redis_url=args.redis_url,
        prefix=args.prefix,
        api_key=args.api_key,
        webhook_secret=args.webhook_secret,
        callback_url=args.callback_url,
        settle_after_ms=args.settle_after_ms,
        return_after_ms=args.return_after_ms,
        timeout_hang_s=args.timeout_hang_s,
        max_amount_minor=args.max_amount_minor,
    )
    options = ServerOptions(
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )
    return config, options
