"""API benchmark: the REST API served by gunicorn on 127.0.0.1, driven over loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payouts_api_bench \\
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/api.py [--duration-s 30]

Measured, against targets:
- ``POST /v1/payouts``, each request with a unique Idempotency-Key, spread over many payees:
  throughput >= 300 req/s with p99 <= 100 ms, and no errors;
- ``GET /v1/payees/{id}/balances`` over the same payees: throughput >= 1,000 req/s.
The load generator is ``wrk`` (a Lua script makes each key unique) when it is installed, else
a multi-process Python generator over keep-alive ``http.client``; the output names the one used.
A few gunicorn configurations are tried briefly on the POST and the best is kept. No Celery
worker runs: the API accepts and schedules payouts (hold posted, outbox row written, task sent to
Redis), execution is asynchronous and not measured here; the queued tasks are purged at the end.
``API_RATE_LIMIT_PER_S`` is set far above the load, so the per-key counter still runs.
Afterwards one POST is profiled in process: its SQL statements, and where its time goes.

It drops and recreates the database it is given, so it refuses one whose name lacks "bench".
Not part of the test suite: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from django.conf import settings
from django.core.management import call_command
from django.db import connection

# bench/payouts.py refuses a DATABASE_URL without "bench" or no REDIS_URL, sets Django up, and
# lends its helpers: recreating the database, seeding payees, child processes.
import bench.payouts as house
from payouts.lifecycle.models import Payout
from payouts.platforms.services import api_key_create

POST_RPS, POST_P99_MS, GET_RPS = 300.0, 100.0, 1000.0  # the targets
RATE_LIMIT = "1000000"


@dataclass
class Result:
    requests: int
    duration_s: float
    errors: int
    p50_ms: float
    p99_ms: float
    detail: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def summary(self) -> str:
        return (
            f"{self.rps:6.0f} req/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
            f"errors {self.errors}{self.detail}"
        )


WRK_SCRIPT = """
local kind, secret, targets = "%(kind)s", "%(secret)s", {%(targets)s}
local counter, n, run = 0, #targets, ""
wrk.headers["Authorization"] = "Bearer " .. secret
wrk.headers["Content-Type"] = "application/json"
function init(args) run = args[1] end
function request()
  counter = counter + 1
  local t = targets[(counter %% n) + 1]
  if kind == "get" then
    return wrk.format("GET", "/v1/payees/" .. t[1] .. "/balances")
  end
  wrk.headers["Idempotency-Key"] = run .. "-" .. counter
  return wrk.format("POST", "/v1/payouts", nil, '{"payee":' .. t[1] ..
    ',"payout_method":' .. t[2] .. ',"amount":"1.00","currency":"USD"}')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Load:
    """What to send (``post`` payouts or ``get`` balances), where, as whom, and how hard."""

    kind: str
    port: int
    secret: str
    targets: list[tuple[int, int]]  # (payee id, method id)
    connections: int
    tool: str
    folder: Path
    processes: int = 2

    def run(self, duration_s: float) -> Result:
        if self.tool == "wrk":
            return wrk_load(self, duration_s)
        return python_load(self, duration_s)


def wrk_load(load: Load, duration_s: float) -> Result:
    """``wrk`` with one thread (the server needs the cores more); each request the next payee,
    round robin, and for POST a new Idempotency-Key ``<run>-<n>`` (one thread numbers all
    requests, so keys are unique)."""
    script = load.folder / f"{load.kind}.lua"
    listed = ",".join(f"{{{p},{m}}}" for p, m in load.targets)
    script.write_text(WRK_SCRIPT % {"kind": load.kind, "secret": load.secret, "targets": listed})
    argv = ["wrk", "-t1", f"-c{load.connections}", f"-d{max(1, round(duration_s))}s"]
    argv += ["--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{load.port}"]
    argv += ["--", uuid.uuid4().hex[:12]]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, duration_us, *errors, p50_us, p99_us = (int(v) for v in line.split()[1:])
    detail = f" (connect/read/write/status/timeout {errors})" if sum(errors) else ""
    return Result(requests, duration_us / 1e6, sum(errors), p50_us / 1000, p99_us / 1000, detail)


def _python_worker(load: Load, duration_s: float, seq: int, out: Any) -> None:
    """``load.connections / processes`` keep-alive connections, a thread each; the latencies
    and the error count go to ``out``."""
    import http.client
    import threading

    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + duration_s
    run = uuid.uuid4().hex[:12]
    headers = {"Authorization": f"Bearer {load.secret}", "Content-Type": "application/json"}

    def loop(conn_no: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", load.port, timeout=10)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            payee, method = load.targets[(n + conn_no * 997 + seq * 7919) % len(load.targets)]
            started = time.perf_counter()
            try:
                if load.kind == "get":
                    conn.request("GET", f"/v1/payees/{payee}/balances", headers=headers)
                else:
                    key = {"Idempotency-Key": f"{run}-{seq}-{conn_no}-{n}"}
                    body = post_body(payee, method)
                    conn.request("POST", "/v1/payouts", body, {**headers, **key})
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            latencies.append(time.perf_counter() - started)
            errors[0] += not ok

    per = max(1, load.connections // load.processes)
    threads = [threading.Thread(target=loop, args=(c,)) for c in range(per)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((latencies, errors[0]))


def python_load(load: Load, duration_s: float) -> Result:
    import multiprocessing

    queue: Any = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_python_worker, args=(load, duration_s, seq, queue))
        for seq in range(load.processes)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for part in parts for x in part[0])

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    if not latencies:
        return Result(0, elapsed, sum(part[1] for part in parts), 0.0, 0.0)
    return Result(len(latencies), elapsed, sum(p[1] for p in parts), pct(0.50), pct(0.99))


def gunicorn_argv(config: str, port: int) -> list[str]:
    """``sync:N`` (N sync workers) or ``gthread:NxT`` (N workers of T threads)."""
    kind, _, size = config.partition(":")
    argv = ["-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--no-control-socket", "--log-level", "warning", "--backlog", "2048"]
    if kind == "sync":
        return [*argv, "--workers", size, "--worker-class", "sync"]
    workers, _, threads = size.partition("x")
    return [*argv, "--workers", workers, "--worker-class", "gthread", "--threads", threads]


def setup(count: int) -> tuple[str, list[tuple[int, int]]]:
    """``count`` payees (bank account, 25.00 available); an API key with every scope."""
    platform, items = house.setup(count)
    secret = api_key_create(platform=platform, name="bench").secret
    return secret, [(int(i["payee"]), int(i["payout_method"])) for i in items]


def post_body(payee: int, method: int) -> str:
    return json.dumps(
        {"payee": payee, "payout_method": method, "amount": "1.00", "currency": "USD"},
        separators=(",", ":"),
    )


def serve(stack: ExitStack, config: str, folder: Path) -> int:
    """gunicorn in ``config`` on a free port, until ``stack`` closes; returns the port."""
    port = house.free_port()
    env = {**os.environ, "API_RATE_LIMIT_PER_S": RATE_LIMIT, "PYTHONUNBUFFERED": "1"}
    stack.enter_context(house.child(f"web-{config}", gunicorn_argv(config, port), env, folder))
    house.wait_http(f"http://127.0.0.1:{port}/healthz")
    return port


def profile_post(secret: str, targets: list[tuple[int, int]], requests: int) -> list[str]:
    """One POST's SQL statements; then ``requests`` POSTs in process (no network) timed, and as
    many again under cProfile."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.API_RATE_LIMIT_PER_S = int(RATE_LIMIT)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def post(n: int) -> int:
        payee, method = targets[-1 - (n % len(targets))]
        return client.post(
            "/v1/payouts",
            post_body(payee, method),
            content_type="application/json",
            headers={"Idempotency-Key": f"profile-{uuid.uuid4().hex}"},
        ).status_code

    for n in range(20):  # warm caches (account ids, keys, imports)
        post(n)
    with CaptureQueriesContext(connection) as captured:
        assert post(20) == 201
    lines = [
        f"one POST /v1/payouts: {len(captured.captured_queries)} SQL statements, "
        f"{sum(float(q['time']) for q in captured.captured_queries) * 1000:.1f} ms in SQL "
        "(as Django times them):"
    ]
    shapes = Counter(" ".join(q["sql"].split())[:110] for q in captured.captured_queries)
    lines += [f"  {n} x {sql}" for sql, n in shapes.most_common()]

    sql_s = [0.0]

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_s[0] += time.perf_counter() - started

    # Unprofiled first: wall and CPU time of this process, and the wait on SQL statements.
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        statuses = Counter(post(n) for n in range(21, 21 + requests))
    wall_ms = (time.perf_counter() - started) * 1000 / requests
    cpu_ms = (time.process_time() - cpu_started) * 1000 / requests
    lines.append(
        f"in process (Django test client, no network), {requests} POSTs {dict(statuses)}: "
        f"{wall_ms:.1f} ms each, {cpu_ms:.1f} ms of it CPU in this process; "
        f"{sql_s[0] * 1000 / requests:.1f} ms inside SQL calls (round trip + driver)"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(21 + requests, 21 + 2 * requests):
        post(n)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"(payouts|ledger|compliance|rails|core)/(?!.*tests)", 24)
    lines.append(
        "where the time goes (cProfile, cumulative, our code; the profiler adds overhead):"
    )
    lines += [
        "  " + line for line in out.getvalue().splitlines() if "/" in line or "ncalls" in line
    ]
    return lines


def verdict(value: float, target: float, *, at_most: bool = False) -> str:
    return "yes" if (value <= target if at_most else value >= target) else "NO"


def row(name: str, result: Result, target: str) -> str:
    return (
        f"{name:<44} {result.rps:>7.0f} {result.p50_ms:>7.1f} {result.p99_ms:>7.1f} "
        f"{result.errors:>6}  {target}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--payees", type=int, default=5000)
    parser.add_argument("--duration-s", type=float, default=30, help="each measurement")
    parser.add_argument("--trial-s", type=float, default=6, help="each configuration's trial")
    parser.add_argument(
        "--configs",
        default="sync:3,gthread:2x4,gthread:3x4",
        help="gunicorn configurations to try: sync:N or gthread:NxT, comma-separated",
    )
    parser.add_argument("--post-connections", type=int, default=8)
    parser.add_argument("--get-connections", type=int, default=16)
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--processes", type=int, default=2, help="python generator processes")
    parser.add_argument("--profile-requests", type=int, default=300)
    args = parser.parse_args()
    if args.load == "auto":
        args.load = "wrk" if shutil.which("wrk") else "python"
    return args


def main() -> None:
    args = parse_args()
    load_start = os.getloadavg()[0]
    house.fresh_database()
    call_command("migrate", verbosity=0)
    secret, targets = setup(args.payees)

    def load(kind: str, port: int) -> Load:
        connections = args.post_connections if kind == "post" else args.get_connections
        return Load(kind, port, secret, targets, connections, args.load, folder, args.processes)

    trials: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp, ExitStack() as outer:
        folder = Path(tmp)
        for config in args.configs.split(","):
            with ExitStack() as stack:
                port = serve(stack, config, folder)
                load("post", port).run(2)  # warm-up: imports, connections, caches
                trials[config] = load("post", port).run(args.trial_s)
                house.log(f"trial {config}: {trials[config].summary()}")
        best = max(trials, key=lambda c: (trials[c].p99_ms <= POST_P99_MS, trials[c].rps))
        port = serve(outer, best, folder)
        load("get", port).run(3)
        first_id = (Payout.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        post = load("post", port).run(args.duration_s)
        created = Counter(Payout.objects.filter(id__gte=first_id).values_list("status", flat=True))
        get = load("get", port).run(args.duration_s)
    profile = profile_post(secret, targets, args.profile_requests)
    from config.celery import app

    purged = app.control.purge()  # the kicks our payouts sent; no worker will run them here

    print(
        f"bench/api.py on {os.cpu_count()} cores, Python {sys.version.split()[0]}; load generator: "
        f"{'wrk (1 thread, Lua: unique Idempotency-Keys)' if args.load == 'wrk' else 'Python'}; "
        f"{args.payees:,} payees; API_RATE_LIMIT_PER_S={RATE_LIMIT}; DEBUG={settings.DEBUG}"
    )
    print(
        f"machine load average (1 min) at the start: {load_start:.1f}, at the end: "
        f"{os.getloadavg()[0]:.1f} (anything else running shares the 2 cores with the server, "
        "PostgreSQL, Redis and the load generator)"
    )
    print(
        "Celery worker: none. The API accepts a payout (validation, compliance, hold entry, "
        "outbox row, task sent to Redis); executing it is asynchronous and not measured."
    )
    print(
        f"gunicorn configurations tried on POST ({args.trial_s:.0f} s each, "
        f"{args.post_connections} connections):"
    )
    for config, trial in trials.items():
        print(f"  {config:<12} {trial.summary()}")
    print(f"kept: {best}: gunicorn {' '.join(gunicorn_argv(best, 0)[3:])}")
    title = f"closed loop, {round(args.duration_s)} s each"
    print(f"{title:<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  target")
    print(
        row(
            f"POST /v1/payouts ({args.post_connections} connections)",
            post,
            f">= {POST_RPS:.0f} req/s: {verdict(post.rps, POST_RPS)}; p99 <= {POST_P99_MS:.0f} ms: "
            f"{verdict(post.p99_ms, POST_P99_MS, at_most=True)}; "
            f"no errors: {verdict(-post.errors, 0)}",
        )
    )
    print(
        row(
            f"GET /v1/payees/{{id}}/balances ({args.get_connections} connections)",
            get,
            f">= {GET_RPS:,.0f} req/s: {verdict(get.rps, GET_RPS)}",
        )
    )
    print(
        f"payouts the measured POSTs created: {sum(created.values()):,} "
        f"({post.requests:,} answers counted), by status {dict(created)}"
    )
    print(f"Celery messages purged afterwards: {purged}")
    print("\n".join(profile))


if __name__ == "__main__":
    main()
