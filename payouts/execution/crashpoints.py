"""Named points where a worker can be made to die, for the crash-safety tests.

``PAYOUTS_CRASH_AT=<name>`` in a worker's environment makes it SIGKILL itself the first time it
reaches that point: no cleanup, no rollback handlers, exactly like a power cut or the OOM
killer. Unset (always, outside those tests), a crash point does nothing.
"""

from __future__ import annotations

import logging
import os
import signal

logger = logging.getLogger(__name__)

AFTER_ATTEMPT_COMMIT = "after_attempt_commit"  # attempts committed, provider not yet called
AFTER_PROVIDER_ACCEPT = "after_provider_accept"  # provider answered, outcome not yet recorded
MID_SETTLEMENT = "mid_settlement"  # settlement entries posted, transaction not yet committed


def crashpoint(name: str) -> None:
    if os.environ.get("PAYOUTS_CRASH_AT") == name:
        logger.critical("crash point %s reached: killing this process", name)
        os.kill(os.getpid(), signal.SIGKILL)
