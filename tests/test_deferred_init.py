"""A package whose ``__init__`` is deferred: its submodules import alone, the ``__init__``
runs once on first use of a name it defines, and LanceDB works with its namespace client so
deferred."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from index.deferred_init import defer_package_init
from tests.conftest import ponder_in_a_new_process, write

INIT = """\
import threading
from slowpkg.parts import PART
RUNS.append(threading.current_thread().name)
EXPORTED = "from the __init__"
"""


@pytest.fixture
def slowpkg(tmp_path: Path) -> Iterator[list[str]]:
    """A package ``slowpkg`` whose ``__init__`` records each run in the returned list."""
    package = tmp_path / "slowpkg"
    package.mkdir()
    (package / "__init__.py").write_text(INIT, encoding="utf-8")
    (package / "parts.py").write_text("PART = 'a part'\n", encoding="utf-8")
    runs: list[str] = []
    import builtins

    builtins.RUNS = runs  # type: ignore[attr-defined]
    sys.path.insert(0, str(tmp_path))
    try:
        yield runs
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "slowpkg" or n.startswith("slowpkg.")]:
            del sys.modules[name]
        del builtins.RUNS  # type: ignore[attr-defined]


def test_a_submodule_imports_without_the_init(slowpkg: list[str]) -> None:
    defer_package_init("slowpkg")
    from slowpkg.parts import PART

    assert PART == "a part"
    assert slowpkg == []


def test_the_init_runs_once_on_first_use_of_its_names(slowpkg: list[str]) -> None:
    defer_package_init("slowpkg")
    import slowpkg as package

    assert package.EXPORTED == "from the __init__"
    from slowpkg import EXPORTED

    assert EXPORTED == "from the __init__"
    assert len(slowpkg) == 1
    with pytest.raises(AttributeError, match="no attribute 'MISSING'"):
        _ = package.MISSING


def test_threads_wait_for_one_run_of_the_init(slowpkg: list[str]) -> None:
    defer_package_init("slowpkg")
    import slowpkg as package

    start = threading.Barrier(4)

    def use() -> object:
        start.wait(timeout=10)
        return package.EXPORTED

    with ThreadPoolExecutor(4) as pool:
        values = [f.result(timeout=30) for f in [pool.submit(use) for _ in range(4)]]
    assert values == ["from the __init__"] * 4
    assert len(slowpkg) == 1


def test_an_imported_or_missing_package_is_left_alone(slowpkg: list[str]) -> None:
    import slowpkg as package

    defer_package_init("slowpkg")
    assert sys.modules["slowpkg"] is package and len(slowpkg) == 1
    defer_package_init("no_such_package_here")
    assert "no_such_package_here" not in sys.modules


def test_lancedb_works_without_its_namespace_clients_api(archive: Path, data_dir: Path) -> None:
    write(archive, "2019-03-04.md", "The harbour at dusk, the boats coming in one by one.\n")
    # A fresh interpreter: this one has imported lancedb whole already.
    printed = ponder_in_a_new_process(
        archive,
        data_dir,
        [["ingest", "--json"], ["search", "harbour boats", "--json"]],
        then=(
            "api = [m for m in sys.modules if m.startswith('lance_namespace_urllib3_client.api')]\n"
            "assert not api, api\n"
            "import lance_namespace_urllib3_client as client\n"
            "assert client.TableApi.__name__ == 'TableApi'  # the whole package, on first use"
        ),
    )
    assert '"added": 1' in printed and "2019-03-04.md" in printed
