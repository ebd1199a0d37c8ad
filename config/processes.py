"""The launcher's child processes: spawning them in their own process group, copying their
output with a name prefix, counting stop signals, and stopping them (TERM, then KILL after a
grace period)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 20.0
POLL_INTERVAL_S = 0.25


class Stop:
    """Counts SIGINT/SIGTERM: the first asks for a graceful stop, a second one hurries it."""

    def __init__(self) -> None:
        self.count = 0
        self.signal_name = ""

    @property
    def requested(self) -> bool:
        return self.count > 0

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        self.count += 1
        self.signal_name = signal.Signals(signum).name
        if self.count == 1:
            say(f"{self.signal_name} received: stopping (again to stop at once)")
        else:
            say(f"{self.signal_name} received again: killing the children")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    pump: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.pump = threading.Thread(
            target=pump_output, args=(self.name, self.process.stdout), daemon=True
        )
        self.pump.start()


output_lock = threading.Lock()


def say(message: str) -> None:
    with output_lock:
        print(f"stack   | {message}", flush=True)


def pump_output(name: str, stream: IO[bytes] | None) -> None:
    """Copy a child's output to ours, one prefixed line at a time."""
    if stream is None:
        return
    prefix = f"{name:<7} | ".encode()
    for line in iter(stream.readline, b""):
        with output_lock:
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()
    stream.close()


def spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    """A child in its own process group, its output piped to us for prefixing."""
    return subprocess.Popen(
        argv,
        cwd=BASE_DIR,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,
    )


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def terminate(children: list[Child], stop: Stop) -> bool:
    """TERM every child still running, wait, then KILL what is left. True when none was killed."""
    running = [c for c in children if c.process.poll() is None]
    for child in running:
        say(f"stopping {child.name} (pid {child.process.pid})")
        signal_child(child, signal.SIGTERM, group=False)
    signals_at_start = stop.count
    deadline = time.monotonic() + STOP_GRACE_S
    while any(c.process.poll() is None for c in running):
        if time.monotonic() > deadline or stop.count > signals_at_start:
            break
        time.sleep(POLL_INTERVAL_S)
    is_clean = True
    for child in running:
        if child.process.poll() is None:
            say(f"{child.name} did not stop in time: killing its process group")
            signal_child(child, signal.SIGKILL, group=True)
            child.process.wait()
            is_clean = False
        child.pump.join(timeout=5)
    return is_clean


def signal_child(child: Child, signum: signal.Signals, *, group: bool) -> None:
    try:
        if group:
            os.killpg(child.process.pid, signum)
        else:
            child.process.send_signal(signum)
    except ProcessLookupError:
        pass
