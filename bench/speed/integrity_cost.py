"""What the index manifest costs: at commit (inside one ingest), at open, and for ``check``.

    python bench/speed/integrity_cost.py [CORPUS] [--workers 2] [--index DIR]

One ingest of CORPUS (default: BBC news 1x, ``../shared/data/news/bbc``) into a fresh index,
with the manifest step timed inside the same run: every call of ``record_generation`` (after
each commit, after the merge, after the entity table), and within it the CRC32 of new files
and the source lists of new segments. "Before" is the ingest time minus that step: the same
run without it, on the same load. Then, each in a fresh process (the cost a cold ``searchkit
search`` pays): the open-time size check alone, and opening the index for search with and
without it; ``check`` and ``check --deep``; and CRC32 against BLAKE2b over the index's files.

The last line printed is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "news" / "bbc"

TIMED_INGEST = """
import importlib, json, sys, time
run = importlib.import_module("searchkit.ingest.run")
finish = importlib.import_module("searchkit.ingest.finish")
record_mod = importlib.import_module("searchkit.store.record")
manifest_mod = importlib.import_module("searchkit.store.manifest")
spent = {"record": 0.0, "crc": 0.0, "sources": 0.0, "calls": 0, "hashed_bytes": 0}

def timed(name, fn, count_bytes=False):
    def wrapper(*a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            spent[name] += time.perf_counter() - t
            if name == "record":
                spent["calls"] += 1
    return wrapper

real_entry = record_mod.file_entry
def file_entry(path):
    t = time.perf_counter()
    e = real_entry(path)
    spent["crc"] += time.perf_counter() - t
    spent["hashed_bytes"] += e.size
    return e
record_mod.file_entry = file_entry
record_mod.segment_sources = timed("sources", record_mod.segment_sources)
rec = timed("record", record_mod.record_generation)
run.record_generation = rec
finish.record_generation = rec
t = time.perf_counter()
r = run.ingest([sys.argv[1]], index=sys.argv[2], workers=int(sys.argv[3]), rebuild=True)
spent["seconds"] = time.perf_counter() - t
spent["articles"] = r.articles
print(json.dumps(spent))
"""

OPEN = """
import sys, time
t0 = time.perf_counter()
from searchkit.store.manifest import quick_check
from pathlib import Path
t1 = time.perf_counter()
quick_check(Path(sys.argv[1]))
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""

SEARCH_OPEN = """
import sys, time
from pathlib import Path
import searchkit.store.folder as folder
if sys.argv[2] == "without":
    folder.check_index_dir = lambda p: folder.IndexFolder(Path(p)).check()
    import searchkit.search as s
    s.check_index_dir = folder.check_index_dir
from searchkit.search import open_index
t = time.perf_counter()
with open_index(sys.argv[1]) as idx:
    pass
print((time.perf_counter() - t) * 1000)
"""


def fresh(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return out.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--index", default=None, help="Index folder (default: a temp folder).")
    ap.add_argument("--repeat", type=int, default=7, help="Fresh processes per open-time measurement.")
    args = ap.parse_args()
    index = Path(args.index or tempfile.mkdtemp(prefix="integrity-cost-")) / "index"

    ingest = json.loads(fresh(TIMED_INGEST, args.corpus, str(index), str(args.workers)))
    before = ingest["seconds"] - ingest["record"]
    print(f"ingest: {ingest['articles']} articles in {ingest['seconds']:.2f} s; manifest step "
          f"{ingest['record'] * 1000:.0f} ms over {ingest['calls']} commits "
          f"(CRC32 of {ingest['hashed_bytes'] / 1e6:.1f} MB: {ingest['crc'] * 1000:.0f} ms; source lists: "
          f"{ingest['sources'] * 1000:.0f} ms): {before:.2f} s without it, +{ingest['record'] / before:.1%}")

    quick = [tuple(map(float, fresh(OPEN, str(index)).split())) for _ in range(args.repeat)]
    with_ = [float(fresh(SEARCH_OPEN, str(index), "with")) for _ in range(args.repeat)]
    without = [float(fresh(SEARCH_OPEN, str(index), "without")) for _ in range(args.repeat)]
    q_import = statistics.median(q[0] for q in quick)
    q_check = statistics.median(q[1] for q in quick)
    print(f"open-time check, fresh process (median of {args.repeat}): import {q_import:.2f} ms, check "
          f"{q_check:.2f} ms; open_index {statistics.median(with_):.1f} ms with it, "
          f"{statistics.median(without):.1f} ms without")

    from searchkit.store.integrity import check_index
    from searchkit.store.manifest import crc32_file, read_manifest

    times = {}
    for deep in (False, True):
        t = time.perf_counter()
        report = check_index(index, deep=deep)
        times["deep" if deep else "default"] = time.perf_counter() - t
        assert report.exit_code == 0, [f.line() for f in report.findings]
    manifest = read_manifest(index)
    assert manifest is not None
    size = sum(e.size for e in manifest.files.values())
    import hashlib

    t = time.perf_counter()
    for name in manifest.files:
        crc32_file(index / name)
    crc_s = time.perf_counter() - t
    t = time.perf_counter()
    for name in manifest.files:
        h = hashlib.blake2b()
        with open(index / name, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    blake_s = time.perf_counter() - t
    print(f"check: {times['default']:.2f} s, --deep {times['deep']:.2f} s; index {size / 1e6:.1f} MB in "
          f"{len(manifest.files)} files: CRC32 {crc_s * 1000:.0f} ms ({size / 1e6 / crc_s:.0f} MB/s), "
          f"BLAKE2b {blake_s * 1000:.0f} ms ({size / 1e6 / blake_s:.0f} MB/s) (page cache warm)")
    print(json.dumps({"ingest": ingest, "ingest_without_manifest_s": before, "quick_check_ms": q_check,
                      "quick_import_ms": q_import, "open_with_ms": statistics.median(with_),
                      "open_without_ms": statistics.median(without), "check_s": times, "index_bytes": size,
                      "crc32_s": crc_s, "blake2b_s": blake_s}))


if __name__ == "__main__":
    main()
