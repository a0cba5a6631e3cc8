"""The archive is never written: conftest fingerprints every shared archive file before the
run and fails the run if any changed; this checks the fingerprint sees every kind of write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SHARED_ARCHIVES, fingerprint, write


@pytest.mark.parametrize("change", ["edit", "same-bytes", "touch", "add", "delete", "chmod"])
def test_the_fingerprint_sees_every_write(tmp_path: Path, change: str) -> None:
    path = write(tmp_path, "notes/a.md", "A note.\n", mtime=1_600_000_000)
    write(tmp_path, "b.txt", "Another.\n", mtime=1_600_000_000)
    before = fingerprint(tmp_path)
    match change:
        case "edit":
            path.write_text("A note!\n")
        case "same-bytes":  # rewritten with the same content: still a write
            path.write_text("A note.\n")
        case "touch":
            os.utime(path, (1_700_000_000, 1_700_000_000))
        case "add":
            write(tmp_path, "notes/c.md", "new")
        case "delete":
            path.unlink()
        case "chmod":
            path.chmod(0o600)
    assert fingerprint(tmp_path) != before


def test_the_sample_archive_is_guarded() -> None:
    prints = {rel for root in SHARED_ARCHIVES for rel in fingerprint(root)}
    assert any(rel.startswith("archive/") for rel in prints)
    assert "ground_truth.json" in prints
