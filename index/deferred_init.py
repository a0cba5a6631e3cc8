"""Import a package's submodules without running the package's ``__init__`` until needed.

``import lancedb`` imports ``lance_namespace``, whose models import the generated REST
client ``lance_namespace_urllib3_client``; that package's ``__init__`` imports every API
module, each wrapping its methods in pydantic validators: about 40 % of ``import lancedb``,
paid by every process that opens the index (the one-line edit's ``ponder ingest`` among
them), for a namespace server ponder never talks to. Upstream lance made the same import
lazy on its side (lance-format/lance#9273); lancedb 0.40 has not.

``defer_package_init`` puts such a package in ``sys.modules`` with its path but without
running its ``__init__``, so ``from package.sub import X`` imports ``sub`` alone. The first
time anything reads a name the ``__init__`` defines, the ``__init__`` runs, in full, and the
name is returned: code that needs the whole package sees no difference but when it pays.

Only for a package whose ``__init__`` just re-exports. llama_index.core's, tried too, orders
its imports to break cycles between its submodules (``callbacks`` -> ``settings`` ->
``indices`` -> ``settings``): without it a sentence splitter fails to import.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

_DEFERRING = threading.Lock()


def defer_package_init(name: str) -> None:
    """Make ``name`` importable as a package whose ``__init__`` runs on first attribute use.

    Does nothing if the package is already imported, or cannot be found (the import that
    follows then fails as it would have).
    """
    with _DEFERRING:  # two threads opening the index at once make one module, not two
        if name not in sys.modules:
            _defer(name)


def _defer(name: str) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    running = False

    def run_init(attribute: str) -> object:
        nonlocal running
        with lock:  # another thread waits here until the __init__ has run
            # A name the __init__ itself reads before defining it fails as in a normal
            # import (the lock is re-entrant), rather than running the __init__ again.
            if not running and "__getattr__" in module.__dict__:
                running = True
                try:
                    spec.loader.exec_module(module)  # type: ignore[union-attr]
                finally:
                    del module.__dict__["__getattr__"]
        try:
            return module.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    module.__dict__["__getattr__"] = run_init
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
