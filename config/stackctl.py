"""The running stack's pid file, and the commands that act on it: stop, status, clean-local.

``python -m config.stack`` (``make run``) records its pid and process group in
``<PAYOUTS_LOCAL_DIR>/stack.pid`` while it runs. ``make stop`` sends that launcher SIGTERM, which
stops its children and then the embedded servers, exactly as Ctrl-C does, and waits for it to
exit. ``make clean-local`` refuses to delete the folder while the stack runs from it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

from config import embedded

# The launcher's own grace period for its children (config.stack.STOP_GRACE_S) and some margin
# for the embedded servers' shutdown.
STOP_WAIT_S = 60.0
HURRY_WAIT_S = 20.0
POLL_S = 0.2


def pid_file() -> Path:
    return embedded.local_dir() / "stack.pid"


def _is_launcher(pid: int) -> bool:
    """Whether ``pid`` is alive and, where /proc tells, a ``config.stack`` launcher."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True  # no /proc here: a live pid is all we can know
    try:
        return b"config.stack" in cmdline.read_bytes()
    except OSError:
        return False


def running_pid() -> int | None:
    """The pid of the launcher running from this folder, or None (a stale pid file is removed)."""
    path = pid_file()
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if _is_launcher(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def record() -> None:
    """Write this launcher's pid and process group (it refuses first if another one runs)."""
    path = pid_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()} {os.getpgrp()}\n")


def forget() -> None:
    """Remove the pid file if it is this process's."""
    path = pid_file()
    try:
        if int(path.read_text().split()[0]) == os.getpid():
            path.unlink()
    except (OSError, ValueError, IndexError):
        pass


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while _is_launcher(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True


def _running_or_say() -> int | None:
    pid = running_pid()
    if pid is None:
        print(f"no stack is running from {embedded.local_dir()}")
    return pid


def stop() -> int:
    pid = _running_or_say()
    if pid is None:
        return 0
    print(f"stopping the stack (launcher pid {pid}): SIGTERM, waiting up to {STOP_WAIT_S:.0f} s")
    os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, STOP_WAIT_S):
        print("the stack stopped")
        return 0
    # A second signal makes the launcher kill its children's process groups at once.
    print("the stack is still stopping: SIGTERM again (its children are killed)")
    os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, HURRY_WAIT_S):
        print("the stack stopped")
        return 0
    print(f"the launcher (pid {pid}) did not stop; see its output", file=sys.stderr)
    return 1


def status() -> int:
    pid = _running_or_say()
    if pid is None:
        return 1
    print(f"the stack is running from {embedded.local_dir()} (launcher pid {pid})")
    return 0


def clean_local() -> int:
    local = embedded.local_dir()
    pid = running_pid()
    if pid is not None:
        print(
            f"refusing to delete {local}: the stack is running from it (launcher pid {pid}); "
            "run `make stop` first",
            file=sys.stderr,
        )
        return 1
    if local.exists():
        shutil.rmtree(local)
        print(f"deleted {local}")
    return 0


COMMANDS = {"stop": stop, "status": status, "clean-local": clean_local}
