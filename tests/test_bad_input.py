"""Bad input: every bad file ends with a status and a reason, the run goes on, nothing leaks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import AppFactory, write
from ui.services import Services

GOOD = "A real entry about the harbour and the boats coming in at dusk.\n"


def status_of(app: Services) -> dict[str, tuple[str, str]]:
    return {d.path: (d.status.value, d.reason) for d in app.status().documents}


def bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 250_000_000)
    return buffer.getvalue()


BAD_FILES: dict[str, tuple[bytes, str, str]] = {
    # name: (content, expected status, words the reason must contain)
    "empty.md": (b"", "skipped", "empty"),
    "blank.txt": (b"   \n\n\t\n", "skipped", "empty"),
    "binary.txt": (bytes(range(256)) * 64, "skipped", "binary"),
    "nul.md": (
        GOOD.encode() * 3 + b"A stray\x00 NUL byte.\n" + GOOD.encode() * 3,
        "indexed",
        "nul",
    ),
    "latin1.txt": ("Café au lait, crème brûlée, naïveté.\n".encode("cp1252"), "indexed", ""),
    "mixed.md": (
        "Caf\u00e9 in UTF-8, and then ".encode() + b"na\xefve in cp1252.\n",
        "indexed",
        "mixed encoding",
    ),
    "broken.docx": (b"PK\x03\x04 not really a zip", "failed", "docx"),
    "bomb.docx": (bomb_docx(), "failed", "decompresses"),
    "broken.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", "failed", ""),
    "not-dayone.json": (b'{"name": "package.json"}', "skipped", "day one"),
    "entity-bomb.xml": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><rss>&lol2;</rss>',
        "failed",
        "",
    ),
}


def test_each_bad_file_gets_a_status_and_reason(app: Services, archive: Path) -> None:
    write(archive, "good.md", GOOD)
    for name, (content, _, _) in BAD_FILES.items():
        write(archive, name, content)
    report = app.sync()
    got = status_of(app)
    assert got["good.md"] == ("indexed", "")
    for name, (_, status, words) in BAD_FILES.items():
        assert got[name][0] == status, (name, got[name])
        if status != "indexed" or words:
            assert words in got[name][1].lower(), (name, got[name])
    assert report.failed == sum(1 for _, s, _ in BAD_FILES.values() if s == "failed")
    assert "good.md" in {h.path for h in app.searcher().search("harbour boats")}
    # A second run changes nothing: bad files are not re-recorded while unchanged...
    before = app.store.versions()
    again = app.sync()
    assert again.added == again.updated == 0
    # ...except failures, which are retried each run until they are fixed.
    assert again.failed == report.failed
    assert app.store.versions()["chunks"] == before["chunks"]


def test_too_large_file_is_skipped(make_app: AppFactory, archive: Path) -> None:
    write(archive, "big.txt", "word " * 300_000)  # 1.5 MB
    write(archive, "small.txt", GOOD)
    app = make_app(archive__max_file_mb="1")
    app.sync()
    status, reason = status_of(app)["big.txt"]
    assert status == "skipped" and "1 MB limit" in reason
    assert status_of(app)["small.txt"][0] == "indexed"


def test_symlinks_are_never_followed(app: Services, archive: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("Private text that lives outside the archive.\n")
    write(archive, "inside.md", GOOD)
    (archive / "link-out.md").symlink_to(outside)
    (archive / "link-in.md").symlink_to(archive / "inside.md")
    (archive / "loop").mkdir()
    (archive / "loop" / "again").symlink_to(archive / "loop", target_is_directory=True)
    (archive / "dangling.md").symlink_to(archive / "nowhere.md")
    report = app.sync()
    got = status_of(app)
    for name in ("link-out.md", "link-in.md", "dangling.md"):
        assert got[name][0] == "skipped" and "symbolic link" in got[name][1]
    assert "loop/again" not in got  # a folder link is neither followed nor a document
    assert report.added == 1
    assert not app.searcher().search("private text outside") or all(
        h.path == "inside.md" for h in app.searcher().search("private text outside")
    )


def test_fifo_is_not_opened(app: Services, archive: Path) -> None:
    os.mkfifo(archive / "pipe.md")
    write(archive, "good.md", GOOD)
    app.sync()  # would hang forever if the FIFO were opened
    assert status_of(app)["pipe.md"] == ("skipped", "not a regular file")


def test_unreadable_file_is_recorded_and_the_run_goes_on(
    app: Services, archive: Path, data_dir: Path, tmp_path: Path
) -> None:
    write(archive, "good.md", GOOD)
    secret = write(archive, "locked.md", "nobody may read this")
    secret.chmod(0o000)
    if os.geteuid() != 0:
        app.sync()
        got = status_of(app)
    else:
        # root reads everything; run the sync as an unprivileged user instead.
        for parent in tmp_path.parents:  # pytest's tmp folders are private to root
            if parent == Path(tempfile.gettempdir()):
                break
            parent.chmod(0o755)
        for path in (tmp_path, archive, archive / "good.md"):
            path.chmod(0o777 if path.is_dir() else 0o644)
        data_dir.mkdir(parents=True, exist_ok=True)
        data_dir.chmod(0o777)
        script = (
            # Import and warm up everything first: the interpreter lives under /root.
            "import os, sys, json; from pathlib import Path;"
            "from config import load_settings; from ui.services import Services;"
            "from ingest.chunking import Chunker; Chunker(200, 0).chunk('', []);"
            "import lancedb, lancedb.index, ingest.readers.markdown;"
            "os.setgid(65534); os.setuid(65534);"
            "app = Services(load_settings(environ={'PONDER_ARCHIVE': sys.argv[1],"
            " 'PONDER_DATA_DIR': sys.argv[2], 'PONDER_EMBEDDINGS__PROVIDER': 'fake',"
            " 'HOME': '/tmp'}, config_file=Path('/nonexistent/config.toml')));"
            "app.sync(); print(json.dumps({d.path: [d.status.value, d.reason]"
            " for d in app.status().documents}))"
        )
        out = subprocess.run(
            [sys.executable, "-c", script, str(archive), str(data_dir)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "HOME": "/tmp"},
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        import json

        got = {k: tuple(v) for k, v in json.loads(out.stdout.splitlines()[-1]).items()}
    assert got["good.md"] == ("indexed", "")
    assert got["locked.md"][0] == "failed" and "permission denied" in got["locked.md"][1]


def test_archive_folder_that_vanished_is_a_clear_error(
    make_app: AppFactory, tmp_path: Path
) -> None:
    from config import ConfigError

    app = make_app(archive__path=str(tmp_path / "gone"))
    with pytest.raises(ConfigError, match="does not exist"):
        app.sync()
