"""The source viewer serves files inside the archive only: no absolute paths, no `..`,
no symlink that leads out, nothing but regular files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import write
from ui.source_viewer import OutsideArchive, read, resolve


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    return write(tmp_path, "secret/passwords.txt", "hunter2\n")


def test_reads_a_file_inside(archive: Path) -> None:
    write(archive, "journal/2014.md", "## 2014-03-02\nThe sea.\n")
    source = read(archive, "journal/2014.md", 1000)
    assert source.data == b"## 2014-03-02\nThe sea.\n"
    assert source.absolute == (archive / "journal" / "2014.md").resolve()


def test_names_with_odd_characters_are_fine(archive: Path) -> None:
    write(archive, "letters/2021-03-09 to Iris's mum (draft).txt", "Dear...\n")
    assert read(archive, "letters/2021-03-09 to Iris's mum (draft).txt", 1000).data


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/etc/passwd",
        "../secret/passwords.txt",
        "journal/../../secret/passwords.txt",
        "~/secret/passwords.txt",
        "C:\\\\secret\\\\passwords.txt",
        "journal\x00.md",
    ],
)
def test_refuses_paths_that_climb_or_are_absolute(archive: Path, outside: Path, path: str) -> None:
    write(archive, "journal/2014.md", "x")
    with pytest.raises(OutsideArchive):
        read(archive, path, 1000)


def test_refuses_a_symlink_that_leads_out(archive: Path, outside: Path) -> None:
    (archive / "link.txt").symlink_to(outside)
    (archive / "dir").symlink_to(outside.parent, target_is_directory=True)
    for path in ("link.txt", "dir/passwords.txt"):
        with pytest.raises(OutsideArchive, match="outside"):
            resolve(archive, path)


def test_a_symlink_inside_the_archive_is_followed(archive: Path) -> None:
    target = write(archive, "notes/real.txt", "real\n")
    (archive / "alias.txt").symlink_to(target)
    assert read(archive, "alias.txt", 100).data == b"real\n"


def test_refuses_folders_missing_files_loops_and_big_files(archive: Path) -> None:
    write(archive, "big.txt", "x" * 200)
    (archive / "folder").mkdir()
    (archive / "loop").symlink_to(archive / "loop")
    for path in ("folder", "missing.txt", "loop"):
        with pytest.raises(OutsideArchive):
            read(archive, path, 1000)
    with pytest.raises(OutsideArchive, match="MB"):
        read(archive, "big.txt", 100)


def test_a_fifo_is_not_read(archive: Path) -> None:
    os.mkfifo(archive / "pipe.txt")
    with pytest.raises(OutsideArchive):
        read(archive, "pipe.txt", 100)  # would block forever if opened
