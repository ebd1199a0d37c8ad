"""Payouts benchmark: one batch of N payouts to N payees, through a real Celery worker, the
sandbox provider over HTTP and its signed callbacks to our own server (gunicorn).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payouts_bench \\
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/payouts.py [--payouts 100000]

Measured from the batch's submission (``batch_create``, as the API will call it):
- until every payout is ``processing`` (submitted to the rail), target <= 120 s;
- until every payout is ``paid`` (settled by the provider's callbacks), target <= 180 s;
- the worker's peak memory (the sum of its processes' peak RSS).
Afterwards the book must re-derive with no drift, and the provider's accepted count must equal N.

It drops and recreates the database it is given, so it refuses one whose name lacks "bench".
Setting up the payees, their methods and their earnings is not timed. Not part of the test
suite: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import platform as platform_module
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A development machine's tool. Its worker and servers get the same SECRET_KEY (the field
# encryption key is derived from it), made up for this run.
os.environ.setdefault("DEVELOPMENT", "true")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import dj_database_url  # noqa: E402

_url = os.environ.get("DATABASE_URL", "")
if "bench" not in str(dj_database_url.parse(_url).get("NAME") or "") if _url else True:
    sys.exit("DATABASE_URL must name a database whose name contains 'bench'")
if not os.environ.get("REDIS_URL"):
    sys.exit("REDIS_URL must be set (a Redis database the bench may fill)")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from tqdm import tqdm  # noqa: E402

from core.crypto import fingerprint  # noqa: E402
from core.db.ids import ids_reserve  # noqa: E402
from ledger import selectors as ledger_selectors  # noqa: E402
from payouts.batches.services import batch_create  # noqa: E402
from payouts.funds.services import earnings_create_many, funding_create  # noqa: E402
from payouts.lifecycle.models import Payout  # noqa: E402
from payouts.payees.models import Payee, PayoutMethod  # noqa: E402
from payouts.payees.secrets import method_secret_seal  # noqa: E402
from payouts.platforms.services import platform_create  # noqa: E402
from rails.methods import method_validate  # noqa: E402
from sandbox.store import delete_prefix  # noqa: E402

ACTOR = "user:bench"
API_KEY = "sk_bench"
SECRET = "whsec_bench"  # noqa: S105 - a throwaway secret for a loopback benchmark
AFTER_PROCESSING = ("processing", "paid", "failed", "returned")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def child(
    name: str, argv: list[str], env: dict[str, str], logs: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process with its output in ``logs/<name>.log``; TERM (then KILL) on exit."""
    with (logs / f"{name}.log").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, *argv], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    sys.exit(f"{url} did not answer within {timeout_s:.0f} s")


def peak_rss_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a process and all its descendants, in MB."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
        pending += [int(c) for c in children]
    return total_kb / 1024


def fresh_database() -> None:
    """Drop and recreate the bench database, so the provider's accepted count and the timings
    concern this run alone (payouts left due by an earlier run would be paid too)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    name = str(settings.DATABASES["default"]["NAME"])
    admin = dj_database_url.parse(str(settings.DATABASE_URL))
    with psycopg.connect(
        host=admin.get("HOST") or None,
        port=admin.get("PORT") or None,
        user=admin.get("USER") or None,
        password=admin.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} recreated")


def setup(count: int) -> tuple[object, list[dict[str, object]]]:
    """A platform with ``count`` payees, each with a bank account and 25.00 available."""
    started = time.perf_counter()
    platform = platform_create(name=f"bench {uuid.uuid4().hex[:8]}", currencies=["USD"])
    tag = platform.code
    payees = Payee.objects.bulk_create(
        [
            Payee(
                platform=platform,
                external_id=f"{tag}-{n}",
                type="individual",
                legal_name=f"Payee {n}",
                email=f"p{n}@example.com",
                country="US",
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    methods = []
    # Each token is bound to its row (payouts.payees.secrets): the ids come first.
    method_ids = ids_reserve(PayoutMethod, len(payees))
    # Account numbers end in 99, clear of the sandbox's magic endings (0001 ... 0009).
    for payee, method_id in tqdm(
        zip(payees, method_ids, strict=True),
        total=len(payees),
        desc="methods",
        unit="payee",
        file=sys.stderr,
        mininterval=2,
    ):
        valid = method_validate(
            type="us_bank_account",
            currency="USD",
            fields={
                "routing_number": "021000021",
                "account_number": f"{payee.id:010d}99",
                "account_holder_name": payee.legal_name,
            },
        )
        methods.append(
            PayoutMethod(
                pk=method_id,
                payee=payee,
                type=valid.type,
                currency=valid.currency,
                country=valid.country,
                holder_name=valid.holder_name,
                secret_encrypted=method_secret_seal(method_id, valid.secret),
                public=valid.public,
                last4=valid.last4,
                fingerprint=fingerprint(valid.fingerprint_source),
            )
        )
    PayoutMethod.objects.bulk_create(methods, batch_size=5000)
    funding_create(
        platform=platform,
        amount=f"{count * 30}.00",
        currency="USD",
        reference=f"bench-{tag}",
        actor=ACTOR,
    )
    for start in tqdm(range(0, count, 10_000), desc="earnings", unit="chunk", file=sys.stderr):
        chunk = payees[start : start + 10_000]
        earnings_create_many(
            platform=platform, currency="USD", items=[(p.id, "25.00") for p in chunk], actor=ACTOR
        )
    log(f"setup: {count:,} payees, methods and earnings in {time.perf_counter() - started:.0f} s")
    # This server may run with autovacuum off; do what it would have done after the setup's
    # writes, so the timed part starts from fresh statistics, as it would in production.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    items = [
        {"payee": p.id, "payout_method": m.id, "amount": "20.00", "currency": "USD"}
        for p, m in zip(payees, methods, strict=True)
    ]
    return platform, items


def counts(platform: object) -> dict[str, int]:
    rows = Payout.objects.filter(platform=platform).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payouts", type=int, default=100_000)
    parser.add_argument("--settle-after-ms", type=int, default=1000)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--sandbox-workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeout-s", type=float, default=900)
    args = parser.parse_args()
    count = args.payouts
    fresh_database()
    call_command("migrate", verbosity=0)
    platform, items = setup(count)

    web_port, sandbox_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env = {
        **os.environ,
        "SANDBOX_URL": sandbox_url,
        "SANDBOX_API_KEY": API_KEY,
        "SANDBOX_WEBHOOK_SECRET": SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    settings.SANDBOX_URL, settings.SANDBOX_API_KEY = sandbox_url, API_KEY
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-payouts-") as folder, ExitStack() as stack:
        logs = Path(folder)
        stack.enter_context(
            child(
                "web",
                [
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    str(args.web_workers),
                    "--no-control-socket",
                    "--log-level",
                    "warning",
                ],
                env,
                logs,
            )
        )
        stack.enter_context(
            child(
                "sandbox",
                [
                    "-m",
                    "sandbox",
                    "--port",
                    str(sandbox_port),
                    "--redis-url",
                    str(settings.REDIS_URL),
                    "--prefix",
                    f"bench-{uuid.uuid4().hex[:8]}",
                    "--callback-url",
                    f"http://127.0.0.1:{web_port}/callbacks/sandbox",
                    "--settle-after-ms",
                    str(args.settle_after_ms),
                    "--workers",
                    str(args.sandbox_workers),
                    "--log-level",
                    "warning",
                ],
                env,
                logs,
            )
        )
        wait_http(f"http://127.0.0.1:{web_port}/healthz")
        wait_http(f"{sandbox_url}/healthz")
        worker = stack.enter_context(
            child(
                "worker",
                [
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "payouts,default",
                    "-c",
                    str(args.worker_concurrency),
                    "-n",
                    f"bench-{uuid.uuid4().hex[:6]}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
                env,
                logs,
            )
        )
        time.sleep(5)  # the worker connects to the broker

        log(f"submitting a batch of {count:,} payouts")
        t0 = time.perf_counter()
        batch = batch_create(platform=platform, items=items, actor=ACTOR, description="bench")
        submitted_s = time.perf_counter() - t0
        log(f"batch {batch.id} created and executing after {submitted_s:.1f} s ({batch.status})")
        processing_s = paid_s = None
        last_sweep = 0.0
        bar = tqdm(total=count, desc="paid", unit="payout", file=sys.stderr)
        while time.perf_counter() - t0 < args.timeout_s:
            state = counts(platform)
            done = sum(state.get(s, 0) for s in AFTER_PROCESSING)
            if processing_s is None and done >= count:
                processing_s = time.perf_counter() - t0
                log(f"every payout processing (or beyond) after {processing_s:.1f} s")
            bar.n = state.get("paid", 0)
            bar.set_postfix(state)
            bar.refresh()
            if state.get("paid", 0) + state.get("failed", 0) + state.get("returned", 0) >= count:
                paid_s = time.perf_counter() - t0
                break
            if time.perf_counter() - last_sweep > 5:  # what beat does
                from celery import current_app

                current_app.send_task("payouts.sweep")
                last_sweep = time.perf_counter()
            time.sleep(0.5)
        bar.close()
        worker_mb = peak_rss_mb(worker.pid)
        stats = httpx.get(
            f"{sandbox_url}/_sandbox/stats",
            params={"by_key": "false"},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
        ).json()
        final = counts(platform)
    delete_prefix(redis.Redis.from_url(str(settings.REDIS_URL)), prefix)  # the provider's store
    drifts = list(ledger_selectors.ledger_drift(book_id=platform.book_id))  # type: ignore[attr-defined]

    def verdict(value: float | None, target: float) -> str:
        return "NOT REACHED" if value is None else ("yes" if value <= target else "NO")

    print(
        f"bench/payouts.py --payouts {count} on {platform_module.node()} "
        f"({os.cpu_count()} cores, Python {platform_module.python_version()}); worker -c "
        f"{args.worker_concurrency}, sandbox {args.sandbox_workers} procs, web {args.web_workers} "
        f"procs, settle after {args.settle_after_ms} ms"
    )
    print(f"batch created (validated, holds posted, scheduled): {submitted_s:.1f} s")
    print(
        f"all processing: {processing_s and f'{processing_s:.1f} s'}  (target <= 120 s: "
        f"{verdict(processing_s, 120)})"
    )
    print(
        f"all paid:       {paid_s and f'{paid_s:.1f} s'}  (target <= 180 s: {verdict(paid_s, 180)})"
    )
    print(f"worker peak RSS: {worker_mb:.0f} MB (all its processes)")
    print(f"final statuses: {final}")
    print(
        f"provider accepted: {stats.get('accepted_total')} (expected {count}); "
        f"submit calls: {stats.get('submits_total')}"
    )
    print(f"ledger drift in the book: {len(drifts)} (expected 0)")


if __name__ == "__main__":
    main()
