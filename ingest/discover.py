"""Which files of the archive are writing: walking the folder and the ignore rules."""

from __future__ import annotations

import os
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from index.records import DocStatus
from ingest.readers import SUPPORTED_SUFFIXES

# Editors, office suites and sync tools leave these beside the real files.
BUILTIN_IGNORES: tuple[str, ...] = (
    ".*",  # hidden files and folders: .git/, .obsidian/, .DS_Store, .#emacs-lock, .~lock
    "*~",  # Emacs/gedit backups
    r"\#*#",  # Emacs autosave (escaped: "#" starts a gitignore comment)
    "*.swp",
    "*.swo",
    "*.swx",
    "*.swn",  # vim swap
    "4913",  # vim's "can I write here" probe file
    "~$*",  # Office owner files
    "*.tmp",
    "*.temp",
    "*.bak",
    "*.orig",
    "*.part",
    "*.crdownload",
    "*.kate-swp",
    "*.sb-*",  # macOS safe-save temporaries
    "*.sync-conflict-*",  # Syncthing conflict copies (the real file is indexed)
    "Thumbs.db",
    "desktop.ini",
)


@dataclass(frozen=True)
class FoundFile:
    """A regular file that a reader can read."""

    path: str  # posix, relative to the archive, NFC
    abspath: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class RejectedFile:
    """A file given a status without being read (too large, a symlink, unlistable...)."""

    path: str
    size: int
    mtime_ns: int
    status: DocStatus
    reason: str


@dataclass(frozen=True)
class Discovery:
    files: list[FoundFile]
    rejected: list[RejectedFile]
    ignored_types: Counter[str] = field(default_factory=Counter)  # unsupported suffix -> count


class IgnoreRules:
    """Gitignore-style rules: the built-in ones plus the user's ``archive.ignore`` globs."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._spec = pathspec.PathSpec.from_lines("gitignore", [*BUILTIN_IGNORES, *extra])

    def ignores(self, rel_path: str, is_dir: bool = False) -> bool:
        return self._spec.match_file(rel_path + "/" if is_dir else rel_path)


def nfc(path: str) -> str:
    """One spelling per name: NFC and NFD forms of a filename are one document."""
    return unicodedata.normalize("NFC", path)


def is_supported(rel_path: str) -> bool:
    return Path(rel_path).suffix.lower() in SUPPORTED_SUFFIXES


def discover(root: Path, rules: IgnoreRules, max_bytes: int) -> Discovery:
    """Walk ``root`` without following symlinks and sort what is there."""
    files: list[FoundFile] = []
    rejected: list[RejectedFile] = []
    ignored: Counter[str] = Counter()
    candidates: list[tuple[str, str, str, int, int, str]] = []  # rel, raw, path, size...
    pending = [(root, "", "")]  # folder, its NFC prefix, its prefix as spelled on disk
    while pending:
        folder, prefix, raw_prefix = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            if prefix:  # an unreadable subfolder; the root itself is checked by the caller
                rejected.append(
                    RejectedFile(prefix.rstrip("/"), 0, 0, DocStatus.FAILED, _os_reason(exc))
                )
            continue
        for entry in entries:
            rel = nfc(prefix + entry.name)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                rejected.append(RejectedFile(rel, 0, 0, DocStatus.FAILED, _os_reason(exc)))
                continue
            is_dir = stat.S_ISDIR(info.st_mode)
            if rules.ignores(rel, is_dir):
                continue
            if is_dir:
                pending.append((Path(entry.path), rel + "/", raw_prefix + entry.name + "/"))
                continue
            if not is_supported(rel):
                ignored[Path(rel).suffix.lower() or "(no extension)"] += 1
                continue
            reason = _rejection(Path(entry.path), info, max_bytes)
            raw = raw_prefix + entry.name
            candidates.append((rel, raw, entry.path, info.st_size, info.st_mtime_ns, reason))
    # Spellings of one name in other Unicode forms: the one already in NFC (else the first)
    # is that name; each other is skipped under its own spelling, since a row under the
    # shared name would replace the indexed twin's.
    candidates.sort(key=lambda c: (c[0], c[1] != c[0], c[1]))
    claimed: dict[str, str] = {}  # NFC path -> the on-disk spelling that claimed it
    for rel, raw, path, size, mtime, reason in candidates:
        if rel in claimed:
            reason = f"same name as {claimed[rel]!r} in another Unicode form"
            rel = raw
        else:
            claimed[rel] = raw
        if reason:
            rejected.append(RejectedFile(rel, size, mtime, DocStatus.SKIPPED, reason))
        else:
            files.append(FoundFile(rel, Path(path), size, mtime))
    files.sort(key=lambda f: f.path)
    rejected.sort(key=lambda r: r.path)
    return Discovery(files, rejected, ignored)


def _rejection(path: Path, info: os.stat_result, max_bytes: int) -> str:
    if stat.S_ISLNK(info.st_mode):
        # Never followed: a link may leave the archive or loop; its target, if it is
        # inside the archive, is indexed at its own path.
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"symbolic link (to {target}); links are not followed"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > max_bytes:
        return f"larger than the {max_bytes / 1e6:g} MB limit ({info.st_size / 1e6:.1f} MB)"
    return ""


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}".lower()


def summarize_ignored(ignored: Counter[str], limit: int = 6) -> Sequence[str]:
    return [f"{count} {suffix}" for suffix, count in ignored.most_common(limit)]
