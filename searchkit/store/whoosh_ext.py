"""Every use of Whoosh beyond its documented API, in one place to audit when the pin moves.

searchkit pins ``whoosh3`` and reaches into it where the public API has no way to do what
ingest and search need: the segment list, a merge policy that picks segments itself, the file
names of a table of contents (write side); underscore attributes, how a segment opens its
files, the layout of on-disk posting blocks, a matcher's private state (query side). Each
helper says what it relies on; a Whoosh upgrade must re-check each of them.
"""

from __future__ import annotations

import contextlib
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import accumulate, groupby, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from whoosh import query as Q
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3FieldWriter, W3LeafMatcher, _lenfield
from whoosh.columns import CompressedBytesColumn, NumericColumn, PickleColumn, VarBytesColumn
from whoosh.matching.wrappers import FilterMatcher, RequireMatcher
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from ..errors import IndexLocked, describe

# Write side ------------------------------------------------------------------------------------

TOC_GLOB = "_MAIN_*.toc"
"""A Whoosh ``FileIndex`` named ``MAIN`` commits by writing ``_MAIN_<generation>.toc``."""
WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")
"""Names of the files Whoosh writes in the folder: tables of contents (``_MAIN_*``), segment
files and its own write lock (``MAIN_*``)."""


def has_toc(folder: Path) -> bool:
    """True when ``folder`` holds a committed Whoosh table of contents."""
    return any(folder.glob(TOC_GLOB))


def tocs(folder: Path) -> list[Path]:
    """The folder's Whoosh tables of contents, oldest generation first (by name)."""
    return sorted(folder.glob(TOC_GLOB))


def is_whoosh_file(name: str) -> bool:
    """A file Whoosh itself writes in an index folder (segment, table of contents, lock)."""
    return name.startswith(WHOOSH_PREFIXES)


POOL_MB = 128
"""Whoosh's estimate of the postings a writer holds in memory before it sorts them into a
temporary run on disk (its ``limitmb``): what a merge's writer uses, which reads whole segments."""


def new_writer(ix: Any, where: Path, pool_mb: int = POOL_MB, *, by_term: bool = False) -> Any:
    """A Whoosh writer as ingest uses it: ``pool_mb`` of posting buffer (in Whoosh's estimate),
    and each segment kept as separate files. (A compound segment file is opened by copying it
    whole into memory: at 170k passages that alone took 180 ms of a one-shot search.)
    ``by_term``: the postings are gathered by term as they come (:class:`TermPool`), for a
    writer that adds documents (an ingest's), so that its commit sorts terms, not postings.

    Whoosh's own lock is taken here; holding it means someone bypassed ``ingest.lock``."""
    from whoosh.index import LockError

    from .schema import GENERATION_FIELD, generation_field

    try:
        writer = ix.writer(limitmb=pool_mb, compound=False)
    except LockError as e:
        raise IndexLocked(f"the index at {where} is locked by another Whoosh writer",
                          hint="wait for it to finish") from e
    if GENERATION_FIELD not in writer.schema:  # an index from before the field: add it in place
        writer.add_field(GENERATION_FIELD, generation_field())
    if by_term and type(writer.pool) is PostingPool:
        writer.pool = TermPool(writer._tempstorage, writer.newsegment, limitmb=pool_mb)
    fieldwriter = getattr(writer, "fieldwriter", None)
    if type(fieldwriter) is W3FieldWriter:
        fieldwriter.add_postings = partial(add_postings, fieldwriter)
    if by_term and type(writer) is SegmentWriter:
        fast = {name: f for name, field in writer.schema.items() if (f := _fast_index(field)) is not None}
        writer.add_document = partial(add_document, writer, fast)
    return writer


def add_document(writer: Any, fast: dict[str, Callable[[str], list[tuple[bytes, int, float, bytes]]]],
                 **fields: Any) -> None:
    """Whoosh's ``SegmentWriter.add_document``, with the text fields of :class:`NewsAnalyzer`
    analysed in one pass (``fast``: field name → its :func:`_fast_index`) instead of through
    Whoosh's token stream, format and field generators: the same postings, with less work a
    word (an ingest's writer analyses every passage's text, exact text, title and the whole
    article; that was ~40% of the writer's time between commits). Every other field, and
    every value that is not one string, goes through the field's own ``index``.

    Relies on what Whoosh's ``add_document`` does (whoosh3 3.54, ``writing.py``): the same
    steps in the same order, its ``_check_state``/``_doc_boost``/``_field_boost``/
    ``_check_fields``, ``perdocwriter``, ``pool.add`` of ``(field, term, docnum, weight,
    value)``, ``docnum`` and ``_added``. ``tests/test_store_whoosh_ext.py`` checks that the
    segment files are byte for byte those of Whoosh's own ``add_document``."""
    writer._check_state()
    perdocwriter = writer.perdocwriter
    schema = writer.schema
    docnum = writer.docnum
    add_post = writer.pool.add

    docboost = writer._doc_boost(fields)
    fieldnames = sorted([name for name in fields if not name.startswith("_")])
    writer._check_fields(schema, fieldnames)

    add_all = writer.pool.add_all if type(writer.pool) is TermPool else None
    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                fieldboost = writer._field_boost(fields, fieldname, docboost)
                index = fast.get(fieldname) if type(value) is str else None
                items = index(value) if index is not None else field.index(value)
                scorable = field.scorable
                if add_all is not None and index is not None:  # one call for the field's terms
                    counted = add_all(fieldname, docnum, items, fieldboost)
                    length = counted if scorable else 0
                else:
                    for tbytes, freq, weight, vbytes in items:
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        add_post((fieldname, tbytes, docnum, weight, vbytes))
            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                for word in field.spellable_words(value):
                    add_post((spellfield, word.encode("utf-8"), 0, 1, vbytes))
            vformat = field.vector
            if vformat:
                vitems = vformat.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)
            customval = fields.get(f"_stored_{fieldname}", value)
            sv = customval if field.stored else None
            perdocwriter.add_field(fieldname, field, sv, length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
    except ValueError:
        perdocwriter.cancel_doc()
        raise

    perdocwriter.finish_doc()
    writer._added = True
    writer.docnum += 1


def _fast_index(field: Any) -> Callable[[str], list[tuple[bytes, int, float, bytes]]] | None:
    """For a field of :class:`NewsAnalyzer` text in Whoosh's ``Positions`` or ``Frequency``
    format, a function giving what ``field.index(text)`` yields, as a list: per distinct term
    in order of first occurrence, its UTF-8 bytes, count, weight (count × the format's field
    boost) and value (the format's encoding of its positions, or of its count). None for
    any other field.

    Relies on: ``Positions.word_values``/``Frequency.word_values`` (a token's boost is 1.0,
    a weight the sum of its tokens' boosts times ``field_boost``), ``Positions.encode`` of a
    term's position list, ``Frequency``'s value ``pack_uint(count)``; :class:`NewsAnalyzer`
    yielding one token per :func:`token_spans` span, none stopped, position = span index
    (:func:`token_terms` gives the same tokens' forms)."""
    from whoosh.formats import Frequency, Positions
    from whoosh.system import pack_uint

    from .analysis import NewsAnalyzer, token_terms

    analyzer, fmt = field.analyzer, field.format
    if type(analyzer) is not NewsAnalyzer or type(fmt) not in (Positions, Frequency):
        return None
    at = 1 if analyzer.exact else 0  # in a token_terms pair
    boost = fmt.field_boost

    if type(fmt) is Frequency:
        def by_count(text: str) -> list[tuple[bytes, int, float, bytes]]:
            counts: dict[str, int] = {}
            for span in token_terms(text):
                term = span[at]
                counts[term] = counts.get(term, 0) + 1
            return [(term.encode("utf-8"), n, float(n) * boost, pack_uint(n)) for term, n in counts.items()]
        return by_count

    encode, single, one = fmt.encode, _SINGLE_POSITION, pack_uint(1)

    def by_position(text: str) -> list[tuple[bytes, int, float, bytes]]:
        where: dict[str, list[int]] = {}
        for pos, span in enumerate(token_terms(text)):
            term = span[at]
            seen = where.get(term)
            if seen is None:
                where[term] = [pos]
            else:
                seen.append(pos)
        out = []
        for term, poses in where.items():
            n = len(poses)
            if n == 1:  # a new bytes object each time, as Whoosh's (pickle would share one)
                tail = single.get(poses[0])
                if tail is None:
                    tail = single[poses[0]] = encode(poses)[len(one):]
                value = one + tail
            else:
                value = encode(poses)
            out.append((term.encode("utf-8"), n, float(n) * boost, value))
        return out
    return by_position


_SINGLE_POSITION: dict[int, bytes] = {}
"""``Positions.encode([p])`` after its count, by position ``p``: most terms of a passage
occur once. The value is made new from it each time: the commit pickles a block's values
together, and pickle writes an object seen twice in a list as a reference to the first."""


POSTING_BYTES = 185
"""Whoosh's estimate of a posting's size in memory for a BBC article's fields (its
``PostingPool.add``: 150 bytes and the field name, twice the term, the value)."""


class TermPool(PostingPool):
    """Whoosh's posting pool with the postings kept by (field, term) in the order they come.

    A segment writer adds each document's postings in document order, so each term's
    postings are already in order, and the commit needs only the terms sorted: 125k terms
    instead of 2M postings for BBC 1x, the sort a commit did alone while the ingest's workers
    waited. Past ``limitmb`` (counted at :data:`POSTING_BYTES` a posting) the pool writes a
    sorted run to disk as Whoosh's does, and its ``items`` merge the runs the same way.

    Relies on: ``PostingPool``/``SortingPool`` keeping the buffered items in ``current``, the
    run files in ``runs``, ``save()`` sorting ``current`` into a run, ``items()`` merging the
    runs (after saving what is left) when there are any; the writer calling only ``add``,
    ``iter_postings``/``items`` and ``cleanup``; a posting ``(field, term, docnum, weight,
    value)`` added in document order for each term (documents, then the segments a commit
    merges in after them)."""

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = POOL_MB) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self.terms: dict[tuple[str, bytes], list[tuple[Any, ...]]] = {}
        self.count = 0
        self.max_count = max(1, self.limit // POSTING_BYTES)

    def add(self, item: tuple[Any, ...]) -> None:
        key = (item[0], item[1])
        group = self.terms.get(key)
        if group is None:
            self.terms[key] = [item]
        else:
            group.append(item)
        self.count += 1
        if self.count >= self.max_count:
            self.save()

    def add_all(self, fieldname: str, docnum: int, items: list[tuple[bytes, int, float, bytes]],
                fieldboost: float) -> int:
        """Add one document's postings of one field, ``(term, count, weight, value)`` each (its
        weight times ``fieldboost``, as ``add_document`` does); their summed counts (the
        field's length). The same postings as ``add`` one at a time; past the limit the run
        is written after the field, not after one of its postings (the merged runs are the same)."""
        terms = self.terms
        length = 0
        for tbytes, freq, weight, vbytes in items:
            key = (fieldname, tbytes)
            posting = (fieldname, tbytes, docnum, weight * fieldboost, vbytes)
            group = terms.get(key)
            if group is None:
                terms[key] = [posting]
            else:
                group.append(posting)
            length += freq
        self.count += len(items)
        if self.count >= self.max_count:
            self.save()
        return length

    def _in_order(self) -> Any:
        return _TermGroups(self.terms)

    def save(self) -> None:
        if self.terms:
            self.current.extend(iter(self._in_order()))  # in order: Whoosh's sort is linear
            self.terms = {}
            self.count = 0
        super().save()

    def items(self, maxfiles: int = 128) -> Any:
        if not self.runs:  # nothing written to disk: every posting is in ``terms``
            return self._in_order()
        self.save()
        return super().items(maxfiles)

    def iter_postings(self) -> Any:
        return self.items()


def add_postings(fieldwriter: Any, schema: Any, lengths: Any, items: Iterable[tuple[Any, ...]]) -> None:
    """Whoosh's ``FieldWriter.add_postings`` for its own codec, writing the same bytes with
    less work a posting: what a commit does with every posting it has buffered, in one
    process, while the ingest's workers wait (BBC 1x: ~2M postings, the commit was a quarter
    of the ingest's wall time).

    Whoosh's loop checks the order of every posting, reads its document's field length from
    the segment file just written (a seek and a read each), and adds it through two method
    calls with four type assertions. Here each term's postings (grouped already by a
    :class:`TermPool`, else gathered from the sorted stream) are handed to Whoosh's postings
    writer a block at a time, and each field's lengths are read once.
    ``tests/test_store_whoosh_ext.py`` checks that the segment files are byte for byte those
    of Whoosh's own loop.

    Relies on: ``W3FieldWriter.start_field/start_term/finish_term/finish_field`` and its
    ``_postwriter``; ``W3PostingsWriter._blocklimit``, its block buffer (``_ids`` an
    ``array("I")``, ``_weights`` an ``array("f")``, ``_values`` the non-empty values,
    ``_maxweight``/``_minlength``/``_maxlength``) and ``_write_block``, which writes the
    buffer and starts a new one; postings of ``docnum == -1`` are spelling words, skipped
    as Whoosh skips them; a missing value is ``b""``; a length byte 0 is no length."""
    lastfn: Any = None
    table: Sequence[Any] = ()
    groups = items.groups() if isinstance(items, _PostingGroups) else _group_terms(items)
    for fieldname, btext, postings in groups:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lastfn = fieldname
            raw = _perdoc_length_bytes(lengths, fieldname) if lengths else None
            table = [_BYTE_LENGTHS[b] for b in raw] if raw is not None else ()
        _, _, ids, weights, values = zip(*postings)  # (field, term, docnum, weight, value) each
        if -1 in ids:  # spelling words, not postings
            postings = [p for p in postings if p[2] != -1]
            if not postings:
                continue
            _, _, ids, weights, values = zip(*postings)
        fieldwriter.start_term(btext)
        _write_term(fieldwriter, ids, weights, values,
                    list(map(table.__getitem__, ids)) if ids[-1] < len(table) else
                    [table[d] if d < len(table) else None for d in ids])
    if lastfn is not None:
        fieldwriter.finish_field()


def _write_term(fieldwriter: Any, ids: Sequence[int], weights: Sequence[float], values: Sequence[Any],
                lens: Sequence[Any]) -> None:
    """One term's postings (in document order) through Whoosh's postings writer, a block at a
    time as its ``add_posting`` would fill them; the last block is left for ``finish_term``."""
    pw = fieldwriter._postwriter
    limit = pw._blocklimit
    n = len(ids)
    for start in range(0, n, limit):
        end = min(start + limit, n)
        bw = weights[start:end]
        bl = [x for x in lens[start:end] if x]
        pw._ids = array("I", ids[start:end])
        pw._weights = array("f", bw)
        pw._values = [v for v in values[start:end] if v]
        pw._maxweight = max(0, max(bw))
        pw._minlength = min(bl) if bl else None
        pw._maxlength = max(bl) if bl else 0
        if end < n:  # a full block with more to come
            pw._write_block()
    fieldwriter.finish_term()


def _group_terms(items: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, bytes, list[tuple[Any, ...]]]]:
    """Sorted postings as (field, term, postings) runs."""
    for (fieldname, btext), group in groupby(items, key=itemgetter(0, 1)):
        yield fieldname, btext, list(group)


class _PostingGroups:
    """Postings in (field, term, document) order, a (field, term, postings) at a time by
    ``groups()`` for :func:`add_postings`; iterated, one posting at a time as Whoosh reads a
    pool."""

    def groups(self) -> Iterator[tuple[str, bytes, list[tuple[Any, ...]]]]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for _, _, postings in self.groups():
            yield from postings


class _TermGroups(_PostingGroups):
    """A :class:`TermPool`'s postings in order."""

    def __init__(self, terms: dict[tuple[str, bytes], list[tuple[Any, ...]]]) -> None:
        self.terms = terms

    def groups(self) -> Iterator[tuple[str, bytes, list[tuple[Any, ...]]]]:
        terms = self.terms
        for key in sorted(terms):
            yield key[0], key[1], terms[key]


_BYTE_LENGTHS = [byte_to_length(b) if b else None for b in range(256)]
"""A length byte's field length (Whoosh's ``byte_to_length``); 0 is no length."""


def writer_generation(writer: Any) -> int:
    """The index generation the writer's commit will be (``SegmentWriter.generation``)."""
    return int(writer.generation)


def segments(ix: Any) -> list[Any]:
    """The index's current segments (``FileIndex._segments``, private)."""
    return list(ix._segments())


def segment_is_churned(segment: Any) -> bool:
    """More than a fifth of the segment's documents are deleted."""
    return bool(segment.deleted_count() * 5 > segment.doc_count_all())


def commit_merging(ix: Any, where: Path, chosen: list[Any]) -> None:
    """Commit a writer whose only change is merging ``chosen`` segments into one.

    Whoosh's own merge reads the chosen ones in through ``writer.add_reader``, which copies
    their documents and puts every posting in the writer's pool, to be sorted (on disk past
    the pool's memory) before it is written. Here the documents are copied the same way
    (``write_per_doc``) and the pool is replaced by :class:`_MergedPostings`, which streams
    the segments' terms in order, each term's postings read a block at a time, straight to
    the new segment: nothing is sorted, nothing spilled. At BBC 2x (4.1M postings, three
    segments) the merge took 63 s through Whoosh's pool, which wrote and re-read every
    posting through pickle, and 33 s this way."""
    from whoosh.reading import SegmentReader

    ids = {s.segment_id() for s in chosen}
    writer = new_writer(ix, where)
    merged = _MergedPostings(writer.schema)

    def policy(writer: Any, current: list[Any]) -> list[Any]:
        fieldnames = set(writer.schema.names())
        for seg in current:
            if seg.segment_id() in ids:
                reader = SegmentReader(writer.storage, writer.schema, seg)
                try:
                    basedoc = writer.docnum
                    docmap = writer.write_per_doc(fieldnames, reader)
                except BaseException:
                    reader.close()
                    raise
                merged.parts.append((reader, basedoc, docmap))
                writer._added = True
        writer.pool = merged
        return [seg for seg in current if seg.segment_id() not in ids]

    try:
        _commit(writer, policy)
    finally:
        merged.cleanup()


def _commit(writer: Any, mergetype: Callable[[Any, list[Any]], list[Any]]) -> None:
    """Commit with Whoosh's ``mergetype`` (``(writer, segments) -> segments kept``); a failed
    commit cancels the writer (its lock released, its new files removed)."""
    try:
        writer.commit(mergetype=mergetype)
    except BaseException:
        with contextlib.suppress(Exception):
            writer.cancel()
        raise


class _MergedPostings(_PostingGroups):
    """The pool of a merging commit: the merged segments' postings, read from them in order.

    Relies on: the writer's commit calling the pool's ``iter_postings()`` once (handed to
    :func:`add_postings`, which takes ``groups()``) and ``cleanup()``; ``write_per_doc``
    returning the old-to-new document map of a segment with deletions (None without);
    ``W3LeafMatcher``'s block state (``_read_ids``/``_read_weights``/``_read_values``,
    ``_ids``/``_weights``/``_values``, ``_atend``, ``_blocklength``, ``_next_block``); a
    segment with deletions filters its matchers, read then one posting at a time. Each term's
    postings come segment after segment, as Whoosh's pool sorts them (by document)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.parts: list[tuple[Any, int, dict[int, int] | None]] = []
        """Each merged segment's reader, its first new document number, its document map."""

    def iter_postings(self) -> _MergedPostings:
        return self

    def groups(self) -> Iterator[tuple[str, bytes, list[tuple[Any, ...]]]]:
        import heapq

        schema = self.schema
        streams = [zip(reader.all_terms(), repeat(k)) for k, (reader, _, _) in enumerate(self.parts)]
        for key, group in groupby(heapq.merge(*streams), key=itemgetter(0)):
            fieldname, btext = key
            if fieldname not in schema:
                continue
            postings: list[tuple[Any, ...]] = []
            for _, k in group:
                reader, basedoc, docmap = self.parts[k]
                ids, weights, values = _term_postings(reader.postings(fieldname, btext))
                if ids:
                    new = [docmap[d] for d in ids] if docmap is not None else [basedoc + d for d in ids]
                    postings.extend(zip(repeat(fieldname), repeat(btext), new, weights, values))
            if postings:
                yield fieldname, btext, postings

    def cleanup(self) -> None:
        while self.parts:
            with contextlib.suppress(Exception):
                self.parts.pop()[0].close()


def _term_postings(m: Any) -> tuple[list[int], list[float], list[Any]]:
    """A matcher's document numbers, weights and values: a block at a time from Whoosh's
    own leaf matcher, else one posting at a time."""
    from whoosh.codec.whoosh3 import W3LeafMatcher

    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    if type(m) is W3LeafMatcher:
        while not m._atend and m._blocklength:
            m._read_ids()
            m._read_weights()
            m._read_values()
            ids.extend(m._ids)
            weights.extend(m._weights)
            values.extend(m._values)
            m._next_block()
    else:
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            values.append(m.value())
            m.next()
    return ids, weights, values


def read_toc(ix: Any) -> tuple[int, list[Any]]:
    """The generation and segments of the index's newest table of contents
    (``FileIndex._read_toc``, private; ``TOC.generation`` and ``.segments``)."""
    toc = ix._read_toc()
    return int(toc.generation), list(toc.segments)


def read_toc_dir(folder: Path) -> tuple[int, list[Any], Any]:
    """Generation, segments and schema of the newest TOC in ``folder``, read without opening
    an index (``TOC.read``, undocumented): what ``check`` reads when it cannot trust more."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    toc = TOC.read(FileStorage(str(folder), readonly=True), "MAIN")
    return int(toc.generation), list(toc.segments), toc.schema


def storage_index(folder: Path, schema: Any) -> Any:
    """An object with the ``storage`` and ``schema`` a :func:`segment_searcher` needs,
    without reading the TOC again."""
    from types import SimpleNamespace

    from whoosh.filedb.filestore import FileStorage

    return SimpleNamespace(storage=FileStorage(str(folder), readonly=True), schema=schema)


def segment_searcher(ix: Any, segment: Any, schema: Any = None) -> Any:
    """A searcher over one segment alone (``SegmentReader``, documented but low-level):
    what the manifest counts and ``check`` reads, segment by segment."""
    from whoosh.reading import SegmentReader
    from whoosh.searching import Searcher

    return Searcher(SegmentReader(ix.storage, schema if schema is not None else ix.schema, segment))


def commit_dropping(ix: Any, where: Path, dropped: set[str]) -> None:
    """Commit a writer whose only change is removing the ``dropped`` segments (by id) from
    the index, without reading them: how ``check --repair`` sets damaged segments aside.
    Whoosh's commit then deletes their files (``index.clean_files``)."""
    _commit(new_writer(ix, where), lambda _w, current: [s for s in current if s.segment_id() not in dropped])


# Query side ----------------------------------------------------------------------------------


def posting_ids(matcher: Any) -> list[int]:
    """The live ids of a fresh posting matcher of one segment, a block at a time.

    Relies on: a segment with deletions wraps its postings in a ``FilterMatcher`` whose
    ``_exclude``/``_ids`` hold the deleted ids; Whoosh 3's on-disk matcher keeps its current
    block's delta-coded ids in ``_data[0]`` (``_read_data``, ``_next_block``, ``_i``, ``_byteids``).
    Anything else is read one id at a time through ``all_ids()``."""
    deleted: Any = ()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        deleted, matcher = matcher._ids, matcher.child
    ids = _block_ids(matcher)
    return [d for d in ids if d not in deleted] if deleted else ids


def posting_blocks(m: Any) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """A segment's on-disk posting list, one block (ids, weights) at a time, read as Whoosh's
    own matcher reads it, with ``itertools.accumulate`` for its delta decoding (a Python
    generator in Whoosh). For ``W3LeafMatcher`` only (``is_leaf_postings``).

    Relies on: ``_data`` (ids, weights, values) read by ``_read_data``; ``_ids``/``_weights``,
    ``_read_weights``, ``_byteids``, ``_lastblock``, ``_next_block``, ``_maxid``."""
    while m.is_active():
        yield block_ids(m), block_weights(m)
        if m._lastblock:
            break
        m._next_block()


def is_leaf_postings(m: Any) -> bool:
    """True for a segment's plain on-disk postings (no deletions wrapper, not inlined)."""
    return type(m) is W3LeafMatcher


def block_ids(m: Any) -> Sequence[int]:
    """The ids of the current block of a ``W3LeafMatcher`` (decoded once)."""
    if m._ids is None:
        if m._data is None:
            m._read_data()
        ids = m._data[0]
        m._ids = ids if m._byteids else tuple(accumulate(ids))
    return m._ids


def block_weights(m: Any) -> Sequence[float]:
    """The weights of the current block of a ``W3LeafMatcher``."""
    if m._weights is None:
        m._read_weights()
    return m._weights


def block_max_id(m: Any) -> int:
    """The last id of the current block, known without decoding it."""
    return m._maxid


def last_block(m: Any) -> bool:
    return bool(m._lastblock)


def next_block(m: Any) -> None:
    """Move to the next block without decoding the current one."""
    m._next_block()


def length_bytes(segment_reader: Any, fieldname: str) -> Sequence[int] | None:
    """One length byte per document of a segment's field (None: no lengths column), read in
    one go. Whoosh's ``load()`` builds the array one document at a time: 34 ms of CPU for
    three fields of BBC 1x (12.7k documents), 0.3 ms read in one go, and it grows with the
    index (an OR question or the article score reads them on its first query).

    Relies on: the per-document reader's ``_cached_reader`` for the ``_<field>_len`` column,
    a ``NumericColumn("B")`` reader's ``_dbfile``/``_basepos``/``_count``/``_doccount``
    (one byte per document, documents past ``_count`` have length 0)."""
    return _perdoc_length_bytes(segment_reader._perdoc, fieldname)


def _perdoc_length_bytes(perdoc: Any, fieldname: str) -> Sequence[int] | None:
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    if isinstance(column, NumericColumn.Reader) and column._typecode == "B" and not column._reverse:
        data = bytes(column._dbfile.get(column._basepos, column._count)) if column._count else b""
        return data + bytes(column._doccount - len(data)) if len(data) < column._doccount else data
    return column.load()  # type: ignore[no-any-return]


def _block_ids(matcher: Any) -> list[int]:
    if not (hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block")
            and getattr(matcher, "_i", None) == 0 and not getattr(matcher, "_byteids", True)):
        return list(matcher.all_ids())
    ids: list[int] = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids.extend(accumulate(matcher._data[0]))  # ids are stored as deltas from 0 per block
        matcher._next_block()
    return ids


class _RequireMatcher(RequireMatcher):
    """Whoosh's RequireMatcher, minus an assertion error: after skipping blocks of low
    quality, the scored side may already sit on the filter's current document.

    Relies on: ``RequireMatcher.a``/``.b``/``.child`` and the intersection's ``_find_next``."""

    def skip_to_quality(self, minquality: float) -> int:
        skipped = self.a.skip_to_quality(minquality)
        if self.a.is_active() and self.b.is_active() and self.a.id() != self.b.id():
            self.child._find_next()
        return skipped


class FilteredQuery(Q.Require):
    """``a`` filtered by ``b``; scores from ``a`` alone (Whoosh's ``Require`` with the matcher
    above)."""

    matcherclass = _RequireMatcher

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return _RequireMatcher(self.a.matcher(searcher, context),
                               self.b.matcher(searcher, searcher.boolean_context()))


def memo_on(searcher: Any, name: str, compute: Callable[[], Any]) -> Any:
    """A value computed once per searcher and kept on it (dropped with it on refresh).

    Relies on: Whoosh's ``Searcher`` accepting new attributes (it has no ``__slots__``)."""
    attr = f"_searchkit_{name}"
    value = getattr(searcher, attr, None)
    if value is None:
        value = compute()
        setattr(searcher, attr, value)
    return value


def open_segment_files(readers: Iterable[Any], fieldnames: Iterable[str], columns: Iterable[str],
                       open_column: Callable[[Any, str], Any]) -> None:
    """Open now every file of each segment that a search may read later.

    Relies on: Whoosh opening a segment's stored-fields, field-length and column files lazily,
    on first use, and raising ``TypeError`` when a column file it expects is gone. A concurrent
    ingest may merge a segment away and delete its files; a file already open stays readable.
    Raises ``FileNotFoundError`` when a file is already gone (the caller reopens the index)."""
    fieldnames, columns = tuple(fieldnames), tuple(columns)
    for reader in readers:
        if not reader.doc_count_all():
            continue
        try:
            open_stored_fields(reader)
            reader.stored_fields(0)
            for fieldname in fieldnames:
                reader.doc_field_length(0, fieldname)
        except TypeError as e:  # Whoosh found no file for a column it expected
            raise FileNotFoundError(f"a segment file is gone: {describe(e)}") from e
        if columns and not reader.has_column(columns[0]):
            raise FileNotFoundError(f"a segment's {columns[0]} column is gone")
        for fieldname in columns:
            open_column(reader, fieldname)


class _QuickVarBytesColumn(VarBytesColumn):
    """Whoosh's variable-length column, whose reader derives each value's offset from the
    stored lengths with ``itertools.accumulate``: Whoosh appends them one at a time in Python
    (for a segment of fewer than 32,768 documents, which stores no offsets): the five
    article-id and entity columns of BBC 1x open in 2.4 ms of CPU instead of 3.0.

    Relies on: ``VarBytesColumn.Reader`` reading ``_offsets``/``_lengths`` in
    ``_read_offsets_and_lengths`` from the layout its writer leaves (lengths array, optional
    offsets array, their type codes, ``X`` when offsets were written)."""

    class Reader(VarBytesColumn.Reader):
        def _read_offsets_and_lengths(self) -> None:
            dbfile, doccount = self._dbfile, self._doccount
            lastbyte = self._basepos + self._length - 1
            lens_code = chr(dbfile.get_byte(lastbyte))
            offsets = None
            if lens_code == "X":
                self.had_stored_offsets = True
                lens_code = chr(dbfile.get_byte(lastbyte - 2))
                offsets_code = chr(dbfile.get_byte(lastbyte - 1))
                offsetstart = (lastbyte - 2) - doccount * struct.calcsize(offsets_code)
                offsets = dbfile.get_array(offsetstart, offsets_code, doccount)
                lastbyte = offsetstart
            lenstart = lastbyte - struct.calcsize(lens_code) * doccount
            lengths = dbfile.get_array(lenstart, lens_code, doccount)
            self._offsets = offsets if offsets is not None else array("L", accumulate(lengths, initial=0))
            self._lengths = lengths


class _QuickCompressedBytesColumn(CompressedBytesColumn):
    """Whoosh's compressed variable-length column (the stored fields' ``_stored``), whose
    reader derives the offsets as :class:`_QuickVarBytesColumn`'s does: Whoosh's own loop over
    every document took 2-3 ms of CPU per 10,000 documents, at every open of every segment.

    Relies on: ``CompressedBytesColumn.Reader`` being a ``VarBytesColumn.Reader`` of
    compressed values (the same layout)."""

    class Reader(CompressedBytesColumn.Reader):
        _read_offsets_and_lengths = _QuickVarBytesColumn.Reader._read_offsets_and_lengths


# What whoosh3's STORED_COLUMN is (pickled dicts, zlib level 3), read through the quick reader.
_QUICK_STORED_COLUMN = PickleColumn(_QuickCompressedBytesColumn())


def open_stored_fields(segment_reader: Any) -> None:
    """Open a segment's stored fields through the quick column reader.

    Relies on: a ``SegmentReader``'s per-document reader (``_perdoc``, whoosh3's
    ``W3PerDocReader``) caching its column readers by name in ``_readers`` and reading stored
    fields through the ``_stored`` entry there. Anything else (another codec) is left alone:
    Whoosh then opens the column itself on first use."""
    perdoc = getattr(segment_reader, "_perdoc", None)
    readers = getattr(perdoc, "_readers", None)
    if not isinstance(readers, dict) or "_stored" in readers or not perdoc.has_column("_stored"):
        return
    readers["_stored"] = perdoc.column_reader("_stored", _QUICK_STORED_COLUMN)


def column_reader(segment_reader: Any, fieldname: str) -> Any:
    """A segment's column reader for ``fieldname`` (untranslated), opened quickly when it is
    a plain variable-length column (see :class:`_QuickVarBytesColumn`)."""
    column = segment_reader.schema[fieldname].column_type
    if type(column) is VarBytesColumn:
        quick = _QuickVarBytesColumn(column.allow_offsets, column.write_offsets_cutoff)
        return segment_reader.column_reader(fieldname, column=quick, translate=False)
    return segment_reader.column_reader(fieldname, translate=False)
