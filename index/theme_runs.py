"""Themes kept current: discovery when needed, a cache in the data dir, small changes folded in.

The cache (``<data_dir>/themes/<range>.json``) holds what is costly to redo: which entries
each theme holds, its keywords, centroid and name, and a fingerprint of every entry it was
built from. Timelines, trends and quotes are recomputed from the index on every read (they
take milliseconds). On each request the index's entries are compared with the cache:

- nothing changed: the cached themes, as they are;
- a few entries changed (at most ``themes.recompute_share`` of them): each new or changed
  entry joins the theme that at least two of its five nearest entries belong to, else it
  stays an outlier; deleted entries leave their themes. No clustering,
  no model call;
- more changed, or the settings or embedding model did: discovery runs again. Names are
  kept for themes whose keywords did not change, so the model is asked only about new ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from config import Settings
from index.chat import ChatModel
from index.embeddings import ProviderUnavailable
from index.store import Store
from index.theme_names import name_theme
from index.themes import (
    Draft,
    Entry,
    Freshness,
    NotEnoughWriting,
    ThemeReport,
    assign,
    build_report,
    canonical,
    cluster,
    clustering_vectors,
    drafts_from_labels,
    load_entries,
    placeable,
    quotes,
)

log = logging.getLogger(__name__)

CACHE_VERSION = 2
THEMES_DIR = "themes"
Progress = Callable[[str], None]
ChatFactory = Callable[[], ChatModel]


class Themer:
    """The themes use-case: what the CLI's ``ponder themes`` and the Themes page call."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        data_dir: Path,
        chat: ChatFactory | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._store = store
        self._settings = settings
        self._dir = data_dir / THEMES_DIR
        self._chat = chat
        self._now = now

    # -- public ----------------------------------------------------------------------------

    def themes(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        *,
        name: bool = True,
        recompute: bool = False,
        progress: Progress | None = None,
    ) -> ThemeReport:
        """The archive's themes (of the entries between the dates), as current as the index.

        ``name``: ask the chat model to name new themes (when configured to); ``recompute``:
        discover them again even if the cache could be updated.
        """
        started = time.perf_counter()
        say = progress or (lambda _message: None)
        say("reading the entries")
        entries = load_entries(self._store, since, until)
        cache = None if recompute else self._read(since, until)
        current = {e.key: e.fingerprint for e in entries}
        if cache is not None:
            changed = _changed(cache["fingerprints"], current)
            if not changed:
                report = self._report(entries, cache, "cached", since, until)
            elif len(changed) <= self._settings.themes.recompute_share * max(len(entries), 1):
                say(f"placing {len(changed)} changed entries in the existing themes")
                cache = self._update(entries, cache, changed)
                report = self._report(entries, cache, "updated", since, until)
            else:
                cache = None
        if cache is None:
            try:
                cache = self._discover(entries, say)
            except NotEnoughWriting as exc:
                now = self._now()
                return ThemeReport(
                    themes=(),
                    entries=len(entries),
                    outliers=0,
                    set_aside=len(entries),
                    granularity="year",
                    periods=(),
                    freshness=Freshness(now, now, "computed", len(entries), 0),
                    since=since,
                    until=until,
                    seconds=time.perf_counter() - started,
                    message=f"{exc}. {exc.hint}",
                )
            report = self._report(entries, cache, "computed", since, until)
        naming = name and self._settings.themes.name_with_model and self._chat is not None
        if naming and self._name(entries, cache, say):
            report = self._report(entries, cache, report.freshness.how, since, until)
        self._write(since, until, cache)
        return replace(report, seconds=time.perf_counter() - started)

    def cached(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> ThemeReport | None:
        """The cached themes without computing anything, saying how many entries changed since."""
        cache = self._read(since, until)
        if cache is None:
            return None
        entries = load_entries(self._store, since, until)
        changed = _changed(cache["fingerprints"], {e.key: e.fingerprint for e in entries})
        report = self._report(entries, cache, "cached", since, until)
        return replace(report, freshness=replace(report.freshness, changed_since=len(changed)))

    # -- discovery and updates ---------------------------------------------------------------

    def _discover(self, entries: list[Entry], say: Progress) -> dict[str, Any]:
        settings = self._settings.themes
        placed = [e for e in entries if placeable(e)]
        if len(placed) < settings.min_entries:
            raise NotEnoughWriting(
                f"not enough writing yet for themes: {len(placed)} entries with enough words "
                f"(themes need at least {settings.min_entries})",
                hint="Themes appear once the archive holds more dated entries; "
                "`ponder ingest` indexes new writing.",
            )
        say(f"grouping {len(placed)} entries by meaning")
        labels = canonical(cluster(clustering_vectors(placed, settings), settings))
        say("finding each theme's words")
        drafts = drafts_from_labels(placed, labels, settings)
        old = self._read_any()
        if old is not None:  # keep the names of themes that came out the same
            named = {tuple(d["keywords"]): d for d in old["drafts"] if d["named_by"] != "keywords"}
            drafts = [
                replace(
                    d,
                    name=named[d.keywords]["name"],
                    description=named[d.keywords]["description"],
                    named_by=named[d.keywords]["named_by"],
                )
                if d.keywords in named
                else d
                for d in drafts
            ]
        now = self._now().isoformat()
        placed_keys = {e.key for e in placed}
        return {
            "version": CACHE_VERSION,
            "signature": self._signature(),
            "computed_at": now,
            "updated_at": now,
            "assigned_since": 0,
            "fingerprints": {e.key: e.fingerprint for e in entries},
            "set_aside": sorted(e.key for e in entries if e.key not in placed_keys),
            "drafts": [_draft_json(d) for d in drafts],
        }

    def _update(
        self, entries: list[Entry], cache: dict[str, Any], changed: set[str]
    ) -> dict[str, Any]:
        by_key = {e.key: e for e in entries}
        drafts = [
            replace(d, members=tuple(k for k in d.members if k not in changed))
            for d in _drafts(cache)
        ]
        joined: dict[int, list[str]] = {}
        set_aside = set(cache["set_aside"]) - changed
        label = {key: d.id for d in drafts for key in d.members}
        known = [e for e in entries if e.key not in changed and e.key not in set_aside]
        labels = [label.get(e.key, -1) for e in known]
        arriving = [by_key[k] for k in sorted(changed) if k in by_key and placeable(by_key[k])]
        # The space the themes were found in: embeddings and words, refitted over every
        # placed entry (the words' space depends on all of them; no clustering runs).
        placed = known + arriving
        space = None
        if placed:
            vectors = clustering_vectors(placed, self._settings.themes)
            space = dict(zip([e.key for e in placed], vectors, strict=True))
        for key in sorted(changed):
            entry = by_key.get(key)
            if entry is None:
                continue  # deleted: it has left its theme
            if not placeable(entry):
                set_aside.add(key)
                continue
            theme = assign(entry, known, labels, space)
            if theme >= 0:
                joined.setdefault(theme, []).append(key)
        drafts = [replace(d, members=d.members + tuple(joined.get(d.id, ()))) for d in drafts]
        added = sum(1 for key in changed if key in by_key)
        return {
            **cache,
            "updated_at": self._now().isoformat(),
            "assigned_since": int(cache["assigned_since"]) + added,
            "fingerprints": {e.key: e.fingerprint for e in entries},
            "set_aside": sorted(set_aside),
            "drafts": [_draft_json(d) for d in drafts],
        }

    def _name(self, entries: list[Entry], cache: dict[str, Any], say: Progress) -> bool:
        """Ask the model to name the themes still named by keywords; True if any got a name."""
        drafts = _drafts(cache)
        unnamed = [d for d in drafts if d.named_by == "keywords" and d.members]
        if not unnamed or self._chat is None:
            return False
        try:
            model = self._chat()
        except ProviderUnavailable as exc:
            log.info("no chat model to name themes (%s): names come from keywords", exc)
            return False
        tried = set(cache.get("naming_tried", {}).get(model.model_id, []))
        unnamed = [d for d in unnamed if d.id not in tried]  # a model asked once is not nagged
        cache.setdefault("naming_tried", {})[model.model_id] = sorted(
            tried | {d.id for d in unnamed}
        )
        if not unnamed:
            return False
        by_key = {e.key: e for e in entries}
        named_any = False
        for number, draft in enumerate(unnamed, start=1):
            say(f"naming theme {number} of {len(unnamed)}")
            members = [by_key[k] for k in draft.members if k in by_key]
            center = np.asarray(draft.centroid, dtype=np.float32)
            passages = [q.text for q in quotes(members, center, self._settings.themes)]
            named = name_theme(model, draft.keywords, passages)
            if named is None:
                continue
            named_any = True
            index = drafts.index(draft)
            drafts[index] = replace(
                draft, name=named[0], description=named[1], named_by=model.model_id
            )
        cache["drafts"] = [_draft_json(d) for d in drafts]
        return named_any

    def _report(
        self,
        entries: list[Entry],
        cache: dict[str, Any],
        how: str,
        since: dt.date | None,
        until: dt.date | None,
    ) -> ThemeReport:
        freshness = Freshness(
            computed_at=dt.datetime.fromisoformat(cache["computed_at"]),
            updated_at=dt.datetime.fromisoformat(cache["updated_at"]),
            how=how,  # type: ignore[arg-type]
            entries=len(cache["fingerprints"]),
            assigned_since=int(cache["assigned_since"]),
        )
        return build_report(
            entries,
            _drafts(cache),
            freshness,
            self._settings.themes,
            set_aside=len(cache["set_aside"]),
            since=since,
            until=until,
        )

    # -- the cache file --------------------------------------------------------------------

    def _signature(self) -> str:
        """What the themes depend on besides the entries: the settings and embedding model."""
        meta = self._store.meta()
        settings = self._settings.themes.model_dump(
            exclude={"quotes", "recompute_share", "name_with_model"}
        )
        parts = {"model": meta.embedding_model if meta else "", **settings}
        return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]

    def _path(self, since: dt.date | None, until: dt.date | None) -> Path:
        start = since.isoformat() if since else "start"
        end = until.isoformat() if until else "end"
        return self._dir / f"themes-{start}-{end}.json"

    def _read(self, since: dt.date | None, until: dt.date | None) -> dict[str, Any] | None:
        cache = _load(self._path(since, until))
        if cache is None or cache.get("signature") != self._signature():
            return None
        return cache

    def _read_any(self) -> dict[str, Any] | None:
        """The whole archive's cache (for names to keep), whatever its signature."""
        return _load(self._path(None, None))

    def _write(self, since: dt.date | None, until: dt.date | None, cache: dict[str, Any]) -> None:
        path = self._path(since, until)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(cache), encoding="utf-8")
        os.replace(partial, path)  # readers see the old file or the new, never half of one


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    return data


def _changed(before: dict[str, str], now: dict[str, str]) -> set[str]:
    """Entries added, changed or deleted between two fingerprint maps."""
    keys = set(before) | set(now)
    return {k for k in keys if before.get(k) != now.get(k)}


def _draft_json(draft: Draft) -> dict[str, Any]:
    data = asdict(draft)
    data["members"] = list(draft.members)
    data["keywords"] = list(draft.keywords)
    data["centroid"] = [round(x, 6) for x in draft.centroid]
    return data


def _drafts(cache: dict[str, Any]) -> list[Draft]:
    return [
        Draft(
            id=int(d["id"]),
            members=tuple(d["members"]),
            keywords=tuple(d["keywords"]),
            centroid=tuple(float(x) for x in d["centroid"]),
            name=d.get("name", ""),
            description=d.get("description", ""),
            named_by=d.get("named_by", "keywords"),
        )
        for d in cache["drafts"]
    ]
