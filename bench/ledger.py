"""Ledger benchmark: each figure beside a raw-SQL ceiling measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledger_bench \
    REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/ledger.py [--quick] [--only ...]

It migrates the database named by DATABASE_URL and fills it with millions of rows, so it refuses
to run (before Django starts) unless DATABASE_URL is set and names a database whose name contains
"bench": real data is never touched, and the embedded development server is never started. The
progress goes to stderr, the table to stdout. The ceilings are hand-written SQL through psycopg
on the same tables (their triggers included, since those are the ledger's rules): for single
entries one statement that locks, inserts the entry and its postings and commits; for batches
one transaction per batch. Not part of the test suite: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing as mp
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A development machine's tool: the settings' development defaults apply.
os.environ.setdefault("DEVELOPMENT", "true")

import dj_database_url  # noqa: E402


def _refuse_unless_bench_database() -> str:
    """The database's name, if it is a bench database; otherwise exit before anything runs."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("DATABASE_URL is not set: point it at a database whose name contains 'bench'")
    name = str(dj_database_url.parse(url).get("NAME") or "")
    if "bench" not in name:
        sys.exit(f"refusing to run on database {name!r}: its name must contain 'bench'")
    return name


BENCH_DATABASE = _refuse_unless_bench_database()

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from ledger import selectors, services  # noqa: E402
from ledger.types import AccountInfo, Direction, EntrySpec, Line  # noqa: E402

DAY = dt.date(2026, 11, 2)
# Posts per side before timing single entries: a fresh database is slower for its first few
# thousand rows (relation files and indexes growing), and that is not what is measured.
WARM_UP = 1000
RAW_SINGLE_SQL = """
WITH locked AS MATERIALIZED (
    SELECT id, type, balance_minor, version FROM ledger_account
     WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id FOR NO KEY UPDATE
), e AS (
    INSERT INTO ledger_entry
        (book_id, kind, memo, effective_date, idempotency_key, metadata, refs, line_count)
    VALUES (%(book)s, 'bench', '', %(day)s, %(key)s, '{}', '{}', 2)
    RETURNING id
)
INSERT INTO ledger_posting (entry_id, account_id, book_id, currency, effective_date, direction,
                            amount_minor, balance_after_minor, version_after)
SELECT e.id, l.id, %(book)s, 'USD', %(day)s, v.direction, %(amount)s,
       l.balance_minor + ledger_normal_sign(l.type)
           * CASE WHEN v.direction = 'D' THEN %(amount)s ELSE -%(amount)s END,
       l.version + 1
  FROM e, locked l
  JOIN (VALUES (%(debit)s::bigint, 'D'), (%(credit)s::bigint, 'C')) AS v(account_id, direction)
    ON v.account_id = l.id
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def raw_connect(**kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(str(settings.DATABASE_URL), **kwargs)


def vacuum() -> None:
    """Autovacuum may be off on the server; clean up between sections so they start alike.
    CHECKPOINT needs a superuser (as on a development server)."""
    with raw_connect(autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE ledger_account, ledger_entry, ledger_posting, ledger_book")
        # Flush now, so no section pays for the previous one's checkpoint.
        conn.execute("CHECKPOINT")


@dataclass
class Row:
    figure: str
    measured: str
    ceiling: str
    target: str
    met: str


ROWS: list[Row] = []


def record(figure: str, measured: str, ceiling: str, target: str, met: bool | None) -> None:
    verdict = "n/a" if met is None else ("yes" if met else "NO")
    ROWS.append(Row(figure, measured, ceiling, target, verdict))
    log(f"  {figure}: {measured} (ceiling {ceiling}; target {target}: {verdict})")


def open_book(code: str, accounts: int, *, hot_shards: int = 1) -> tuple[int, list[AccountInfo]]:
    """A fresh book with a ``fees`` revenue account (the hot one) first, then ``accounts`` asset
    accounts ``cash-<n>``; no floors anywhere."""
    book = services.book_open(code=f"{code}-{time.time_ns()}")
    opened = [
        services.account_open(
            book_id=book.id, code="fees", currency="USD", type="revenue", shards=hot_shards
        )
    ]
    opened += [
        services.account_open(book_id=book.id, code=f"cash-{n}", currency="USD", type="asset")
        for n in range(accounts)
    ]
    return book.id, opened


def two_line(book_id: int, key: str, debit: int, credit: int, *, day: dt.date = DAY) -> EntrySpec:
    return EntrySpec(
        book_id=book_id,
        kind="bench",
        idempotency_key=key,
        effective_date=day,
        lines=[Line(debit, Direction.DEBIT, 100), Line(credit, Direction.CREDIT, 100)],
    )


# --- 1. one entry per transaction, one connection ------------------------------------------------


def raw_single(
    conn: psycopg.Connection[Any], book_id: int, key: str, debit: int, credit: int
) -> None:
    conn.execute(
        RAW_SINGLE_SQL,
        {
            "ids": sorted({debit, credit}),
            "book": book_id,
            "day": DAY,
            "key": key,
            "amount": 100,
            "debit": debit,
            "credit": credit,
        },
        prepare=True,
    )


def bench_single(count: int, chunk: int = 250) -> None:
    """Service and ceiling alternate in chunks on the same accounts, so that neither gets the
    quieter moments of a noisy machine."""
    log(f"1. single entries ({count} each way, alternating chunks of {chunk})")
    book_id, accounts = open_book("single", 2)
    debit, credit = accounts[1].id, accounts[0].id
    service_s = raw_s = 0.0
    with raw_connect(autocommit=True) as conn:
        for n in range(WARM_UP):
            services.entry_post(**_kwargs(two_line(book_id, f"warm-{n}", debit, credit)))
            raw_single(conn, book_id, f"rawwarm-{n}", debit, credit)
        for first in range(0, count, chunk):
            started = time.perf_counter()
            for n in range(first, min(first + chunk, count)):
                services.entry_post(**_kwargs(two_line(book_id, f"svc-{n}", debit, credit)))
            service_s += time.perf_counter() - started
            started = time.perf_counter()
            for n in range(first, min(first + chunk, count)):
                raw_single(conn, book_id, f"raw-{n}", debit, credit)
            raw_s += time.perf_counter() - started
    service_rate, raw_rate = count / service_s, count / raw_s
    record(
        "single entry per transaction, 1 connection",
        f"{service_rate:,.0f} entries/s ({service_rate / raw_rate:.0%} of ceiling)",
        f"{raw_rate:,.0f} entries/s",
        ">= 50% of ceiling",
        service_rate >= 0.5 * raw_rate,
    )


def _kwargs(spec: EntrySpec) -> dict[str, Any]:
    return {
        "book_id": spec.book_id,
        "kind": spec.kind,
        "idempotency_key": spec.idempotency_key,
        "effective_date": spec.effective_date,
        "lines": spec.lines,
    }


# --- 2. four writers, one hot account ------------------------------------------------------------


def _hot_worker(args: tuple[str, int, int, int, float, int]) -> tuple[int, int, list[str]]:
    mode, book_id, own_id, hot_id, duration_s, index = args
    connections.close_all()
    posted = failed = 0
    failures: list[str] = []
    deadline = time.perf_counter() + duration_s
    raw = raw_connect(autocommit=True) if mode == "raw" else None
    try:
        while time.perf_counter() < deadline:
            key = f"{mode}-{index}-{posted + failed}"
            try:
                if raw is not None:
                    raw_single(raw, book_id, key, own_id, hot_id)
                else:
                    services.entry_post(**_kwargs(two_line(book_id, key, own_id, hot_id)))
                posted += 1
            except Exception as exc:  # noqa: BLE001 - counted and reported: errors reaching callers
                failed += 1
                if len(failures) < 3:
                    failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        if raw is not None:
            raw.close()
        connections.close_all()
    return posted, failed, failures


def run_hot(
    mode: str, shards: int, writers: int, duration_s: float
) -> tuple[float, int, list[str]]:
    book_id, accounts = open_book(f"hot-{mode}", writers, hot_shards=shards)
    hot_id = accounts[0].id
    connections.close_all()
    context = mp.get_context("fork")
    with context.Pool(writers) as pool:
        results = pool.map(
            _hot_worker,
            [(mode, book_id, accounts[1 + i].id, hot_id, duration_s, i) for i in range(writers)],
        )
    posted = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    drift = selectors.ledger_drift(book_id=book_id)
    assert drift == [], drift
    return posted / duration_s, failed, [m for r in results for m in r[2]]


def bench_hot(duration_s: float, writers: int = 4) -> None:
    log(f"2. {writers} writers on one hot account, {duration_s:.0f} s each way")
    raw_rate, raw_errors, _ = run_hot("raw", 1, writers, duration_s)
    single_rate, single_errors, single_msgs = run_hot("service", 1, writers, duration_s)
    sharded_rate, sharded_errors, sharded_msgs = run_hot("service", 8, writers, duration_s)
    for message in single_msgs + sharded_msgs:
        log(f"    error: {message}")
    record(
        f"{writers} writers, hot account as one row",
        f"{single_rate:,.0f} entries/s, {single_errors} errors",
        f"{raw_rate:,.0f} entries/s, {raw_errors} errors",
        ">= 1,500/s, 0 errors",
        single_rate >= 1500 and single_errors == 0,
    )
    record(
        f"{writers} writers, hot account in 8 shards",
        f"{sharded_rate:,.0f} entries/s, {sharded_errors} errors",
        f"{raw_rate:,.0f} entries/s (one row)",
        ">= 1,500/s, 0 errors",
        sharded_rate >= 1500 and sharded_errors == 0,
    )


# --- 3. batches ----------------------------------------------------------------------------------


def raw_batch(
    conn: psycopg.Connection[Any], book_id: int, prefix: str, pairs: list[tuple[int, int]]
) -> None:
    """The hand-written batch: lock, compute running balances, insert entries, insert postings."""
    with conn.transaction():
        ids = sorted({a for pair in pairs for a in pair})
        rows = conn.execute(
            "SELECT id, type, balance_minor, version FROM ledger_account WHERE id = ANY(%s)"
            " ORDER BY id FOR NO KEY UPDATE",
            [ids],
        ).fetchall()
        state = {r[0]: [1 if r[1] in ("asset", "expense") else -1, r[2], r[3]] for r in rows}
        keys = [f"{prefix}-{n}" for n in range(len(pairs))]
        entry_ids = [
            r[0]
            for r in conn.execute(
                "INSERT INTO ledger_entry (book_id, kind, memo, effective_date, idempotency_key,"
                " metadata, refs, line_count)"
                " SELECT %s, 'bench', '', %s, k, '{}', '{}', 2 FROM unnest(%s::text[])"
                " WITH ORDINALITY AS t(k, n) ORDER BY n RETURNING id",
                [book_id, DAY, keys],
            ).fetchall()
        ]
        cols: list[list[Any]] = [[] for _ in range(6)]
        for entry_id, (debit, credit) in zip(entry_ids, pairs, strict=True):
            for account_id, direction in ((debit, "D"), (credit, "C")):
                sign, balance, version = state[account_id]
                balance += sign * (100 if direction == "D" else -100)
                version += 1
                state[account_id] = [sign, balance, version]
                for col, value in zip(
                    cols, (entry_id, account_id, direction, 100, balance, version), strict=True
                ):
                    col.append(value)
        conn.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, book_id, currency, effective_date,"
            " direction, amount_minor, balance_after_minor, version_after)"
            " SELECT e, a, %s, 'USD', %s, d, m, b, v FROM unnest(%s::bigint[], %s::bigint[],"
            " %s::text[], %s::bigint[], %s::bigint[], %s::bigint[]) AS t(e, a, d, m, b, v)",
            [book_id, DAY, *cols],
        )


def bench_batch(batches: int, size: int) -> None:
    log(f"3. batches: {batches} x {size} two-line entries over 1,000 accounts")
    book_id, accounts = open_book("batch", 1000)
    ids = [a.id for a in accounts[1:]]

    def pairs(batch: int) -> list[tuple[int, int]]:
        rng = random.Random(batch)
        return [tuple(rng.sample(ids, 2)) for _ in range(size)]  # type: ignore[misc]

    service_s = raw_s = 0.0
    with raw_connect() as conn:
        for batch in range(batches):  # alternating, as in section 1
            specs = [
                two_line(book_id, f"b{batch}-{n}", d, c) for n, (d, c) in enumerate(pairs(batch))
            ]
            started = time.perf_counter()
            services.entries_post(entries=specs)
            service_s += time.perf_counter() - started
            chosen = pairs(1000 + batch)
            started = time.perf_counter()
            raw_batch(conn, book_id, f"raw{batch}", chosen)
            raw_s += time.perf_counter() - started
    service_rate = batches * size / service_s
    raw_rate = batches * size / raw_s
    record(
        f"batch posting ({size:,} entries per batch)",
        f"{service_rate:,.0f} entries/s ({service_rate / raw_rate:.0%} of ceiling)",
        f"{raw_rate:,.0f} entries/s",
        ">= 20,000 entries/s",
        service_rate >= 20_000,
    )


# --- 4. balances on a long account, 5. the export ----------------------------------------------


def build_long_account(postings: int, batch: int) -> tuple[int, int, str]:
    """An account with ``postings`` postings, half dated DAY and half the day after; returns the
    book id, the account id and the book code."""
    log(f"4. building an account with {postings:,} postings")
    code = f"long-{time.time_ns()}"
    book = services.book_open(code=code)
    hot = services.account_open(book_id=book.id, code="long", currency="USD", type="asset")
    others = [
        services.account_open(book_id=book.id, code=f"other-{n}", currency="USD", type="revenue")
        for n in range(200)
    ]
    started = time.perf_counter()
    second_day = DAY + dt.timedelta(days=1)
    for first in range(0, postings, batch):
        specs = [
            two_line(
                book.id,
                f"l-{n}",
                hot.id,
                others[n % len(others)].id,
                day=DAY if n < postings // 2 else second_day,
            )
            for n in range(first, min(first + batch, postings))
        ]
        services.entries_post(entries=specs)
        done = min(first + batch, postings)
        if done % (batch * 10) == 0 or done == postings:
            rate = done / (time.perf_counter() - started)
            log(f"    {done:,} / {postings:,} ({rate:,.0f} entries/s)")
    rate = postings / (time.perf_counter() - started)
    record(
        f"building it: entries_post, {batch:,}-entry batches all touching one account",
        f"{rate:,.0f} entries/s",
        "-",
        "(information)",
        None,
    )
    return book.id, hot.id, code


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99, nearest rank."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[math.ceil(len(ordered) * 0.99) - 1]


def timed(fn: Callable[[], Any], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_balances(account_id: int, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(recorded_at), max(recorded_at) FROM ledger_posting WHERE account_id = %s",
            [account_id],
        )
        first, last = cursor.fetchone()
    span_us = int((last - first).total_seconds() * 1_000_000)
    rng = random.Random(7)
    moments = [first + dt.timedelta(microseconds=rng.randrange(span_us)) for _ in range(count)]
    for _ in range(200):  # warm the connection and caches
        selectors.account_balance(account_id=account_id)
    current = timed(lambda: selectors.account_balance(account_id=account_id), count)
    moment_iter = iter(moments * 2)
    as_of = timed(
        lambda: selectors.account_balance_as_of(account_id=account_id, at=next(moment_iter)), count
    )
    with raw_connect(autocommit=True) as conn:
        raw_current = timed(
            lambda: conn.execute(
                "SELECT balance_minor, version FROM ledger_account WHERE id = %s",
                [account_id],
                prepare=True,
            ).fetchone(),
            count,
        )
        raw_iter = iter(moments * 2)
        raw_as_of = timed(
            lambda: conn.execute(
                "SELECT balance_after_minor, version_after FROM ledger_posting"
                " WHERE account_id = %s AND recorded_at <= %s"
                " ORDER BY recorded_at DESC, version_after DESC LIMIT 1",
                [account_id, next(raw_iter)],
                prepare=True,
            ).fetchone(),
            count,
        )
    for name, samples, raw, target_ms in (
        ("current balance", current, raw_current, 2.0),
        ("as-of balance", as_of, raw_as_of, 5.0),
    ):
        p50, p99 = percentiles(samples)
        raw50, raw99 = percentiles(raw)
        record(
            f"{name}, account with {postings_of(account_id):,} postings ({count:,} calls)",
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms",
            f"p50 {raw50:.3f} ms, p99 {raw99:.3f} ms",
            f"p99 <= {target_ms:g} ms",
            p99 <= target_ms,
        )


def postings_of(account_id: int) -> int:
    balance = selectors.account_balance(account_id=account_id)
    return 0 if balance is None else balance.version


def bench_export(book_code: str, expected: int) -> None:
    log(f"5. export_journal of {expected:,} postings")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "journal.csv"
        started = time.perf_counter()
        child = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "manage.py",
                "export_journal",
                "--book",
                book_code,
                "--from",
                DAY.isoformat(),
                "--to",
                DAY.isoformat(),
                "--format",
                "csv",
                "--output",
                str(out),
                "--no-progress",
            ],
            cwd=ROOT,
        )
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would also count the writer
        # processes of section 2).
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.exit(f"export_journal failed with exit code {child.returncode}")
        peak_mb = usage.ru_maxrss / 1024
        with out.open() as handle:
            rows = sum(1 for _ in handle) - 1
    record(
        f"export_journal, {rows:,} postings to CSV",
        f"{seconds:.1f} s, peak {peak_mb:.0f} MB",
        "-",
        "<= 60 s, <= 300 MB",
        seconds <= 60 and peak_mb <= 300 and rows == expected,
    )


# --- main ------------------------------------------------------------------------------------


def environment() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
        values = []
        for name in ("synchronous_commit", "shared_buffers", "fsync", "autovacuum"):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return (
        f"{version}; {', '.join(values)}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; Django {django.get_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 20x smaller, for a smoke run")
    parser.add_argument(
        "--only",
        default="single,hot,batch,long",
        help="comma-separated sections to run: single, hot, batch, long (balances and export)",
    )
    args = parser.parse_args()
    sections = set(args.only.split(","))
    name = str(connection.settings_dict["NAME"])
    if name != BENCH_DATABASE or "bench" not in name:  # settings must agree with DATABASE_URL
        sys.exit(f"refusing to run on database {name!r}: its name must contain 'bench'")
    scale = 20 if args.quick else 1
    call_command("migrate", verbosity=0)
    env = environment()
    log(env)

    if "single" in sections:
        vacuum()
        bench_single(3000 // scale)
    if "hot" in sections:
        vacuum()
        bench_hot(10.0 / (5 if args.quick else 1))
    if "batch" in sections:
        vacuum()
        bench_batch(4, 5000 // (5 if args.quick else 1))
    if "long" in sections:
        vacuum()
        # One entry per posting of the long account, over two days: the first day's entries
        # carry as many postings (two each) as the long account has; those are exported.
        postings = 1_000_000 // scale
        _, account_id, code = build_long_account(postings, 10_000 // (5 if args.quick else 1))
        vacuum()
        bench_balances(account_id, 2000 // (5 if args.quick else 1))
        bench_export(code, postings)

    widths = [
        max(
            len(getattr(r, f))
            for r in [*ROWS, Row("figure", "measured", "raw-SQL ceiling", "target", "met")]
        )
        for f in ("figure", "measured", "ceiling", "target", "met")
    ]
    header = Row("figure", "measured", "raw-SQL ceiling", "target", "met")
    print(f"bench/ledger.py{' --quick' if args.quick else ''} on {name}: {env}")
    for row in [header, *ROWS]:
        print(
            " | ".join(
                getattr(row, f).ljust(w)
                for f, w in zip(
                    ("figure", "measured", "ceiling", "target", "met"), widths, strict=True
                )
            )
        )
    print(json.dumps({"rows": [r.__dict__ for r in ROWS]}), file=sys.stderr)


if __name__ == "__main__":
    main()
