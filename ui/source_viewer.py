"""Reading a file of the archive for the app, strictly from inside the archive folder.

The app shows and offers for download the file a citation points to. The path comes from
the index, but it is checked as if it came from anywhere: no absolute path, no ``..``, and
the real path, after every symlink is followed, must lie inside the archive's real path.
The file is then opened without following a symlink and checked to be the file that was
resolved, so swapping a component for a symlink between the check and the read fails.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath


class OutsideArchive(Exception):
    """The path does not name a readable file inside the archive."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint or "Only files inside the archive folder can be opened."


@dataclass(frozen=True)
class SourceFile:
    """One file of the archive, read."""

    path: str  # relative to the archive, as asked
    absolute: Path  # its real location
    data: bytes


def resolve(archive: Path, relative: str) -> Path:
    """The real path of ``relative`` inside ``archive``.

    Raises:
        OutsideArchive: the path is empty, absolute, climbs with ``..``, leads outside the
            archive through a symlink, does not exist, or is not a regular file.
    """
    if not relative or "\x00" in relative:
        raise OutsideArchive("no file named")
    pure = PurePosixPath(relative)
    if pure.is_absolute() or PureWindowsPath(relative).is_absolute() or relative.startswith("~"):
        raise OutsideArchive(f"{relative!r} is an absolute path")
    if ".." in pure.parts:
        raise OutsideArchive(f"{relative!r} climbs out of its folder")
    try:
        root = archive.resolve(strict=True)
        target = (root / pure).resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise OutsideArchive(f"{relative} cannot be found in the archive ({exc})") from None
    if not target.is_relative_to(root):
        raise OutsideArchive(f"{relative} leads outside the archive")
    if not target.is_file():
        raise OutsideArchive(f"{relative} is not a file")
    return target


def read(archive: Path, relative: str, max_bytes: int) -> SourceFile:
    """The bytes of ``relative``, read from inside ``archive`` only.

    Raises:
        OutsideArchive: see :func:`resolve`; also a file larger than ``max_bytes``, or one
            that changed into something else between the check and the read.
    """
    target = resolve(archive, relative)
    expected = os.stat(target)
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise OutsideArchive(f"{relative} cannot be opened: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (expected.st_dev, expected.st_ino) or not (
            stat.S_ISREG(opened.st_mode)
        ):
            raise OutsideArchive(f"{relative} changed while it was being opened")
        if opened.st_size > max_bytes:
            raise OutsideArchive(
                f"{relative} is {opened.st_size / 1e6:.1f} MB, more than the viewer shows",
                hint="Open it from the archive folder with your own editor.",
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    finally:
        os.close(fd)
    return SourceFile(relative, target, data)
