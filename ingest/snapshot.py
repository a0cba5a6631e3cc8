"""What the archive folder looked like after the last clean sync, so that an unchanged folder
is recognised from a directory scan alone, without opening the index.

Opening the index means importing LanceDB (over a second) and reading every document row;
an unchanged re-ingest, the commonest sync of all, needs neither. The snapshot is a digest
of every file's path, size and modification time, of the settings that shape a sync, and of
the index's own change marks (Store.change_marks). Any difference, a missing or unreadable
snapshot, or marks that cannot be read (an object-store index) means the full sync runs,
which is always correct: the snapshot can only make a sync faster, never different.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from ingest.discover import Discovery

_FORMAT = 1


def folder_digest(found: Discovery, settings_key: str) -> str:
    """One hash over the scan and the settings: equal digests mean nothing to do."""
    digest = hashlib.sha256(f"{_FORMAT}\0{settings_key}\0".encode())
    for file in sorted(found.files, key=lambda f: f.path):
        digest.update(f"f\0{file.path}\0{file.size}\0{file.mtime_ns}\n".encode())
    for rejected in sorted(found.rejected, key=lambda r: r.path):
        digest.update(
            f"r\0{rejected.path}\0{rejected.size}\0{rejected.mtime_ns}\0"
            f"{rejected.status}\0{rejected.reason}\n".encode()
        )
    return digest.hexdigest()


class Snapshot:
    """The file holding the last clean sync's digest and the index's marks after it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def matches(self, digest: str, marks: Mapping[str, int] | None) -> bool:
        if marks is None:
            return False
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(saved, dict) and saved == {"digest": digest, "marks": dict(marks)}

    def save(self, digest: str, marks: Mapping[str, int] | None) -> None:
        if marks is None:
            self.clear()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"digest": digest, "marks": dict(marks)}), encoding="utf-8")
        os.replace(partial, self.path)  # never half a snapshot

    def clear(self) -> None:
        """Forget it, before anything is written: a sync cut short must not leave one."""
        self.path.unlink(missing_ok=True)
