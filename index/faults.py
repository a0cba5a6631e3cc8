"""Named crash points on the write path, so the crash-safety tests can kill a real process
exactly between two commits instead of hoping a random moment lands there.

Off unless the environment variable ``PONDER_CRASH_AT`` names a point (``name`` or
``name:N`` for its N-th passage): then the process SIGKILLs itself there, with no cleanup,
no ``finally`` and no flush, like a power cut or the OOM killer. Off costs one call to a
no-op per point passed (a handful per sync batch).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping

from config.loader import ENV_CRASH_AT as CRASH_ENV

# Every point, in the order a sync that adds, changes, renames and deletes passes them.
CRASH_POINTS: tuple[str, ...] = (
    "sync.snapshot-cleared",  # the snapshot is gone, nothing is written yet
    "store.cache-written",  # new vectors cached, the batch's chunks not yet
    "store.chunks-replaced",  # a batch's chunks committed, its document rows not yet
    "store.documents-replaced",  # a batch fully committed
    "store.chunks-deleted",  # a deleted file's chunks gone, its document row not yet
    "store.documents-deleted",  # a deleted file fully gone
    "store.orphans-deleted",  # orphan sweep done, maintenance not yet
    "store.table-optimized",  # one table compacted, the others not yet
    "sync.snapshot-saved",  # everything done, the snapshot written
)

CrashHook = Callable[[str], None]


def no_crash(_point: str) -> None:
    """The hook in normal use."""


def crash_hook(environ: Mapping[str, str] | None = None) -> CrashHook:
    """The hook ``PONDER_CRASH_AT`` asks for: a no-op when unset.

    Raises:
        ValueError: the variable names no known point (a typo would silently test nothing).
    """
    spec = (os.environ if environ is None else environ).get(CRASH_ENV, "")
    if not spec:
        return no_crash
    name, _, count = spec.partition(":")
    if name not in CRASH_POINTS:
        raise ValueError(f"{CRASH_ENV}={spec!r}: unknown crash point; known: {CRASH_POINTS}")
    remaining = [int(count) if count else 1]

    def hook(point: str) -> None:
        if point != name:
            return
        remaining[0] -= 1
        if remaining[0] <= 0:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook
