"""The writer's side of copies: clusters kept in step with what each commit puts in the index.

The workers sign each article (:func:`searchkit.duplicates.signature_of`, beside passages and
entities); the writer files it in :class:`~searchkit.duplicates.DuplicateClusters` as it
writes it, takes out what it deletes, and saves the clusters right after each commit, so that
``duplicates/`` holds the committed articles. A run killed between a commit and that save
leaves the two apart; the next ingest finds it (each member keeps the content hash it was
signed from, compared with the stored one) and restores the clusters from the index's own
text before it writes anything, as it does for an index built before copies were found, or
with ``--dup-threshold 0`` (which turns the stage off and removes the table).

Loading costs: the members file is read at the end of every ingest (~50 ms at 25,000
articles) to see whether it agrees with the index; the whole clusterer (its LSH is rebuilt
from the signatures, ~4.5 s at 23,654 articles) only when something is written or deleted.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.copies import DUPLICATES, MEMBERS_VERSION, checksum_problems, cluster_table, compare_members, read_json, read_members, table_file

if TYPE_CHECKING:
    from ..duplicates import DuplicateClusters, Signature
    from ..records import Article

def article_info(article: Article) -> tuple[str | None, dict[str, Any]]:
    """(date, what the table lists of a member): as search shows a hit (ISO date as stored,
    the path as valid Unicode)."""
    from ..load import display_path
    from ..text import parse_iso_datetime

    md = article.metadata
    date = parse_iso_datetime(md.date)
    return (date.isoformat() if date is not None else None,
            {"site": md.site, "url": md.url, "title": md.title, "path": display_path(article.path),
             "source_id": display_path(article.source_id)})


def sign(article: Article) -> Signature:
    """The article's signature: the worker's, or made here (articles written ready-built)."""
    from ..duplicates import Signature, signature_of

    given = getattr(article, "copy_signature", None)
    return given if isinstance(given, Signature) else signature_of(article.text, title=article.metadata.title)


class CopyStage:
    """Copies for one ingest run: loaded on first use, saved after each commit."""

    def __init__(self, index_path: Path, threshold: float) -> None:
        self.folder = index_path / DUPLICATES
        self.threshold = threshold
        self.enabled = threshold > 0
        self._clusters: DuplicateClusters | None = None
        self._dirty = False
        self._ix: Any = None
        self._index: dict[str, str] = {}

    def bind(self, ix: Any, stored: Mapping[str, Mapping[str, Any]]) -> None:
        """The index being written and its stored records as the run opened it (source id →
        record): what the clusters must agree with before this run writes anything."""
        self._ix = ix
        self._index = {str(r["article_id"]): str(r.get("content_hash") or "") for r in stored.values()}

    # -- the clusters, in step with the committed index -----------------------------------
    def clusters(self) -> DuplicateClusters:
        """The clusters, loaded (or started) and brought in line with the index as the run
        opened it (nothing of this run is in them before this)."""
        if self._clusters is None:
            self._clusters = self._load()
            self._dirty = self.sync(self._clusters, self._index, self._ix) or self._dirty
        return self._clusters

    def _load(self) -> DuplicateClusters:
        from ..duplicates import DuplicateClusters, DuplicateSettings

        settings = DuplicateSettings(threshold=self.threshold)
        if checksum_problems(self.folder):
            self._dirty = True  # none yet, or damaged: every article is signed again
            return DuplicateClusters(settings)
        try:
            loaded = DuplicateClusters.load(self.folder)
        except Exception:  # noqa: BLE001 - a damaged or foreign table is rebuilt from the index
            self._dirty = True
            return DuplicateClusters(settings)
        if replace(loaded.settings, threshold=self.threshold) != settings:  # made by another version
            self._dirty = True
            return DuplicateClusters(settings)
        if loaded.settings.threshold != self.threshold:
            self._dirty = True
            try:
                return loaded.reclustered(settings)
            except ValueError:
                return DuplicateClusters(settings)
        return loaded

    @staticmethod
    def sync(clusters: DuplicateClusters, index: Mapping[str, str], ix: Any) -> bool:
        """Make the clusters hold exactly ``index``'s articles (article id → stored content
        hash), signing those they lack from the text the index stores; True if anything changed."""
        from ..store.documents import article_from_documents

        extra, missing, changed = compare_members(
            ({"article_id": a, "stamp": s} for a, s in clusters.stamps().items()), index)
        for aid in (*extra, *changed):
            clusters.remove(aid)
        todo = set(changed) | set(missing)
        if todo:
            with ix.searcher() as searcher:
                for aid in sorted(todo):  # the same order every time: clusters never depend on a set's
                    article = article_from_documents(aid, searcher.documents(article_id=aid))
                    if article is None:
                        continue
                    date, info = article_info(article)
                    clusters.add(aid, sign(article), date=date, length=len(article.text), info=info,
                                 stamp=article.content_hash)
        return bool(extra or missing or changed)

    # -- what the writer does --------------------------------------------------------------
    def add(self, article: Article, replaces: str | None = None) -> None:
        """File a written article (``replaces``: the id of the stored article it replaces)."""
        if not self.enabled:
            return
        clusters = self.clusters()
        if replaces is not None and replaces != article.article_id:
            clusters.remove(replaces)
        date, info = article_info(article)
        clusters.add(article.article_id, sign(article), date=date, length=len(article.text), info=info,
                     stamp=article.content_hash)
        self._dirty = True

    def remove(self, article_id: str) -> None:
        if not self.enabled:
            return
        self.clusters().remove(article_id)
        self._dirty = True

    def save(self) -> None:
        """After a commit: what it committed, on disk (each file replaced whole)."""
        if self.enabled and self._clusters is not None and self._dirty:
            self._clusters.save(self.folder)
            self._dirty = False

    def discard(self) -> None:
        """The batch was abandoned: forget the in-memory state (the saved one is the commit's)."""
        self._clusters = None
        self._dirty = False

    def finish(self) -> None:
        """The end of a run: a table that disagrees with the index (a killed run, an index
        from before copies were found, another threshold) is brought in line; with the stage
        off, the table goes, so search shows every copy."""
        if not self.enabled:
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(self.folder)
            return
        if self._clusters is None and not self.agrees(self._index):
            self.clusters()
            self._dirty = True
        self.save()

    def agrees(self, index: Mapping[str, str]) -> bool:
        """True when the saved table holds the index's articles at this threshold and the
        search table is the one derived from it (cheap: JSON only)."""
        if checksum_problems(self.folder):
            return not index and not self.folder.exists()
        try:
            meta = read_members(self.folder.parent)
            clusters = table_file(self.folder, "clusters")
            if meta is None or clusters is None or meta.get("settings", {}).get("threshold") != self.threshold \
                    or meta.get("version") != MEMBERS_VERSION:
                return False
            if any(compare_members(meta["members"], index)):
                return False
            return bool(read_json(clusters) == json.loads(json.dumps(cluster_table(meta["members"]))))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False


def restore_copies(index_path: Path, threshold: float | None = None) -> str:
    """``check --repair``: rebuild the copy table from the index (under the write lock, held
    by the caller): the kept signatures of the articles whose content has not changed, the
    others signed again from the text the index stores. ``threshold``: the table's own
    (else the default)."""
    from whoosh import index as windex

    from ..settings import IngestSettings

    if threshold is None:
        try:
            threshold = float((read_members(index_path) or {})["settings"]["threshold"])
        except (OSError, ValueError, KeyError, TypeError):
            threshold = IngestSettings().dup_threshold
    clusters = sync_copies(index_path, windex.open_dir(str(index_path)), threshold, rewrite=True)
    if clusters is None:
        return "copy detection is off (threshold 0): no copy table"
    return f"rebuilt the copy table ({len(clusters):,} articles, {len(clusters.clusters(2)):,} with copies)"


def sync_copies(index_path: Path, ix: Any, threshold: float, *, rewrite: bool = False) -> DuplicateClusters | None:
    """Bring the copy table of ``index_path`` in line with the articles of ``ix`` (one index,
    or the shards of a sharded one searched as one), signing those it lacks from their stored
    text; ``rewrite`` saves it even when nothing changed. The caller holds the write lock."""
    from ..store.documents import stored_records

    with ix.searcher() as s:
        stored = stored_records(s)
    stage = CopyStage(index_path, threshold)
    stage.bind(ix, stored)
    if not stage.enabled:
        stage.finish()  # detection off: no table, search shows every copy
        return None
    clusters = stage.clusters()
    stage._dirty = stage._dirty or rewrite
    stage.save()
    return clusters
