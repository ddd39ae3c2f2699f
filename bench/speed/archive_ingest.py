"""WARC input speed and memory (issue 17), from the BBC articles rendered as simple HTML pages.

    python bench/speed/archive_ingest.py build --records 10000 --out /tmp/warc-bench   # WARC + the same pages as files
    python bench/speed/archive_ingest.py ingest /tmp/warc-bench --workers 2            # one ingest of each, timed
    python bench/speed/archive_ingest.py build --records 100000 --out /tmp/warc-100k --no-files
    python bench/speed/archive_ingest.py load /tmp/warc-100k/bbc.warc.gz              # the loader alone: time, peak RSS

Each record is a BBC article as a page with a headline, a date line and its paragraphs; the
articles are used again and again with an edition number in the page (so no two payloads are
identical, which the loader would skip). ``ingest`` runs ``searchkit ingest --json`` once on
the WARC and once on the folder of HTML files, with the same workers, into fresh indexes.
``load`` reads the archive as ingest does (stream hash, first pass, lazy re-read) without
cleaning or NER, and reports its time and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from _common import DEFAULT_DATA, REPO_ROOT, use_repo_searchkit  # noqa: E402


def _articles(data: Path) -> list[tuple[str, str, list[str]]]:
    rows = []
    for line in (data / "news" / "bbc.jsonl").read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        paragraphs = [p for p in obj["text"].split("\n\n") if p.strip()]
        rows.append((obj["id"], obj["title"], paragraphs))
    return rows


def _page(title: str, paragraphs: list[str], edition: int, day: int) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)} - BBC News</title>"
            f"<meta property=\"article:published_time\" content=\"2005-01-{day:02d}T09:00:00Z\"></head><body>"
            f"<nav><a href=\"/news\">News</a> <a href=\"/sport\">Sport</a> <a href=\"/weather\">Weather</a></nav>"
            f"<article><h1>{html.escape(title)}</h1><p class=\"edition\">Edition {edition}</p>{body}</article>"
            f"<footer>Copyright BBC. Read about our approach to external linking.</footer></body></html>")


def build(args: argparse.Namespace) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    articles = _articles(Path(args.data))
    files = out / "pages"
    if not args.no_files:
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir()
    t0 = time.perf_counter()
    with open(out / "bbc.warc.gz", "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(args.records):
            aid, title, paragraphs = articles[n % len(articles)]
            edition = n // len(articles) + 1
            page = _page(title, paragraphs, edition, n % 28 + 1).encode("utf-8")
            url = f"https://www.bbc.co.uk/news/{aid}-e{edition}"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            date = f"2005-02-{n % 28 + 1:02d}T{n % 24:02d}:{n % 60:02d}:{(n // 60) % 60:02d}Z"
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(page), http_headers=http,
                                                          warc_headers_dict={"WARC-Date": date}))
            if not args.no_files:
                (files / f"{aid.replace('/', '-')}-e{edition}.html").write_bytes(page)
    size = (out / "bbc.warc.gz").stat().st_size
    print(f"{args.records:,} records: {out / 'bbc.warc.gz'} ({size / 2**20:.1f} MB) in {time.perf_counter() - t0:.0f} s"
          + ("" if args.no_files else f"; the same pages as files in {files}"))


def ingest(args: argparse.Namespace) -> None:
    out = Path(args.out)
    searchkit = str(REPO_ROOT / ".venv" / "bin" / "searchkit")
    for label, target in (("WARC", out / "bbc.warc.gz"), ("HTML files", out / "pages")):
        index = out / f"index-{label.split()[0].lower()}"
        shutil.rmtree(index, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        run = subprocess.run([searchkit, "ingest", str(target), "--index", str(index), "--json",
                              "--workers", str(args.workers)], capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime  # the ingest and its workers
        report = json.loads(run.stdout)
        print(f"{label:10s}: {report['new']:,} articles in {seconds:.1f} s = {report['new'] / seconds:.1f} articles/s "
              f"wall, {1000 * cpu / max(1, report['new']):.1f} ms of CPU per article "
              f"(workers {args.workers}; failed {len(report['failed'])}, exit {run.returncode})", flush=True)


def load(args: argparse.Namespace) -> None:
    use_repo_searchkit()
    from searchkit.load import open_input

    t0 = time.perf_counter()
    opened = open_input(args.warc)
    t1 = time.perf_counter()
    sources, issues = opened.read()
    t2 = time.perf_counter()
    chars = n = 0
    for s in sources:
        n += 1
        chars += len(s.content)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:,} sources ({chars / 2**20:.0f} M characters of HTML{', re-read lazily' if sources.lazy else ''}); "
          f"hash {t1 - t0:.1f} s, first pass {t2 - t1:.1f} s, sources {t3 - t2:.1f} s, total {t3 - t0:.1f} s = "
          f"{n / (t3 - t0):,.0f} records/s; peak RSS {peak:.0f} MB; issues: {[i.reason for i in issues]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--records", type=int, default=10_000)
    b.add_argument("--out", required=True)
    b.add_argument("--data", default=str(DEFAULT_DATA))
    b.add_argument("--no-files", action="store_true", help="write the WARC only")
    i = sub.add_parser("ingest")
    i.add_argument("out")
    i.add_argument("--workers", type=int, default=2)
    ld = sub.add_parser("load")
    ld.add_argument("warc")
    args = parser.parse_args()
    {"build": build, "ingest": ingest, "load": load}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
