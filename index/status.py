"""What the index holds, summarised for `ponder status` and the library page."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from index.records import DocStatus, DocumentRecord, IndexMeta
from index.store import Store


@dataclass(frozen=True)
class IndexStatus:
    documents: tuple[DocumentRecord, ...]
    by_status: dict[str, int]
    entry_count: int
    chunk_count: int
    meta: IndexMeta | None
    last_write: dt.datetime | None
    size_bytes: int | None
    first_date: dt.date | None
    last_date: dt.date | None

    def problems(self) -> list[DocumentRecord]:
        """Skipped and failed documents, failures first."""
        order = {DocStatus.FAILED: 0, DocStatus.SKIPPED: 1}
        bad = [d for d in self.documents if d.status != DocStatus.INDEXED]
        return sorted(bad, key=lambda d: (order.get(d.status, 2), d.path))

    def warnings(self) -> list[DocumentRecord]:
        """Indexed documents that carry a warning (e.g. a mixed encoding)."""
        return [d for d in self.documents if d.status == DocStatus.INDEXED and d.reason]


def index_status(store: Store) -> IndexStatus:
    documents = tuple(sorted(store.documents(), key=lambda d: d.path))
    counts = Counter(d.status.value for d in documents)
    indexed = [d for d in documents if d.status == DocStatus.INDEXED]
    firsts = [d.first_date for d in indexed if d.first_date]
    lasts = [d.last_date for d in indexed if d.last_date]
    return IndexStatus(
        documents=documents,
        by_status={s.value: counts.get(s.value, 0) for s in DocStatus},
        entry_count=sum(d.entry_count for d in indexed),
        chunk_count=store.chunk_count(),
        meta=store.meta(),
        last_write=max((d.indexed_at for d in documents), default=None),
        size_bytes=store.size_bytes(),
        first_date=min(firsts, default=None),
        last_date=max(lasts, default=None),
    )
