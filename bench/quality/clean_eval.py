"""Score searchkit's cleaner against trafilatura and readability-lxml on saved news pages.

Usage::

    python bench/quality/clean_eval.py [PAGES_DIR] [--only NAME ...] [--check-baselines] [--pages N] [--worst N]

``PAGES_DIR`` defaults to ``../shared/data/cleaner-bench`` relative to the repo root and is
laid out as ``html/<id>.html.gz`` plus ``ground-truth.json`` (``{id: {"articleBody",
"url"}}``). A folder laid out like ``readability-pages`` (``<name>/source.html`` and
``<name>/expected.txt``) is recognised too; its expected text is Readability.js output,
not human truth, so it is a softer check. A folder holding several such folders (e.g.
``../shared/data``) scores each of them.

Metric (the article-extraction-benchmark's own): tokens are ``\\w+`` runs (case kept),
compared as multisets of 4-token shingles; per-page precision and recall are averaged over
pages, and F1 is the harmonic mean of the two averages. ``--check-baselines`` scores the
reference outputs in ``baseline-output/`` first, to check this scorer against the
published dev-split table.

Rows: ``searchkit`` cleans each page on its own (what ``clean_html`` does); ``searchkit+site``
first learns every page of the folder and then drops paragraphs repeated on two pages of
one site (:mod:`searchkit.repeats`, opt-in; the learning pass is not timed); trafilatura
(``include_comments=False``) and readability-lxml run on the same pages in the same
process, interleaved page by page, so the timings compare on a shared machine.
The last line printed is one JSON object with every figure, for scripts.
trafilatura and readability-lxml are bench-only extras (``pip install .[bench]``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TOKEN = re.compile(r"\w+")
Extractor = Callable[[str, str | None], str]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of ``n``-token shingles; 1..n-1 tokens give one short shingle."""
    tokens = TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(expected: str, predicted: str, n: int = 4) -> tuple[float | None, float | None]:
    """(precision, recall) for one page; ``None`` where the page does not count."""
    truth, guess = shingles(expected, n), shingles(predicted, n)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


def aggregate(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Macro precision/recall over pages, F1 from the two means, accuracy, low-F1 pages."""
    precisions, recalls, exact, low = [], [], 0, 0
    for expected, predicted in pairs:
        p, r = page_scores(expected, predicted)
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
        pp, rr = p or 0.0, r or 0.0
        if (2 * pp * rr / (pp + rr) if pp + rr else 0.0) < 0.5:
            low += 1
        exact += TOKEN.findall(expected) == TOKEN.findall(predicted)
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": exact / max(len(pairs), 1), "low_f1_pages": low}


def load_pages(folder: Path) -> list[tuple[str, str, str | None, str]]:
    """(id, html, url, expected text) for every page of a benchmark folder."""
    truth_file = folder / "ground-truth.json"
    pages = []
    if truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            with gzip.open(folder / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as fh:
                pages.append((page_id, fh.read(), truth[page_id].get("url"), truth[page_id]["articleBody"]))
        return pages
    for sub in sorted(p for p in folder.iterdir() if (p / "source.html").exists()):
        expected = (sub / "expected.txt").read_text(encoding="utf-8")
        pages.append((sub.name, (sub / "source.html").read_text(encoding="utf-8"), None, expected))
    return pages


def searchkit_extract(html: str, url: str | None) -> str:
    from searchkit.cleaner import clean_html

    return clean_html(html, url=url).text


def trafilatura_extract(html: str, url: str | None) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False) or ""


def readability_extract(html: str, url: str | None) -> str:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(html, url=url).summary(html_partial=True)
    tree = lxml_html.fragment_fromstring(summary, create_parent="div")
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag in {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre"}:
            element.tail = "\n\n" + (element.tail or "")
    return tree.text_content()


def searchkit_site_runner(pages: list[tuple[str, str, str | None, str]]) -> Extractor:
    """searchkit with repeated-block detection: a first pass learns every page of the
    folder, the timed second pass cleans each page with that knowledge."""
    from searchkit.cleaner import RepeatedBlocks, clean_html

    repeats = RepeatedBlocks()
    for page_id, html, url, _expected in pages:
        repeats.learn(clean_html(html, url=url), page=page_id)
    return lambda html, url: clean_html(html, url=url, repeats=repeats).text


EXTRACTORS: dict[str, Extractor] = {
    "searchkit": searchkit_extract,
    "searchkit+site": searchkit_extract,  # replaced by searchkit_site_runner(pages) at run time
    "trafilatura": trafilatura_extract,
    "readability-lxml": readability_extract,
}


def version_of(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    if name.startswith("searchkit"):
        return "repo"  # always the checkout this script sits in, whatever is installed
    try:
        return version(name)
    except PackageNotFoundError:
        return "repo"


def run_extractors(
    extractors: dict[str, Extractor], pages: list[tuple[str, str, str | None, str]]
) -> dict[str, tuple[dict[str, float], dict[str, str]]]:
    """Run every extractor on every page, interleaved page by page.

    Interleaving makes the timings comparable on a shared, noisy machine: a load spike
    slows every extractor on the same page instead of one extractor's whole run. Each
    extractor gets one untimed warm-up call first (imports, caches, compiled rules).
    """
    outputs: dict[str, dict[str, str]] = {name: {} for name in extractors}
    timings: dict[str, list[float]] = {name: [] for name in extractors}
    errors: dict[str, int] = {name: 0 for name in extractors}
    if pages:
        for extract in extractors.values():
            try:
                extract(pages[0][1], pages[0][2])
            except Exception:  # the timed run reports it
                pass
    for page_id, html, url, _expected in pages:
        for name, extract in extractors.items():
            start = time.perf_counter()
            try:
                outputs[name][page_id] = extract(html, url)
            except Exception as error:  # a bench counts failures instead of stopping
                print(f"  {name} {page_id[:12]}: {type(error).__name__}: {error}", file=sys.stderr)
                outputs[name][page_id] = ""
                errors[name] += 1
            timings[name].append((time.perf_counter() - start) * 1000)
    results = {}
    for name in extractors:
        figures = aggregate([(expected, outputs[name][page_id]) for page_id, _h, _u, expected in pages])
        times = sorted(timings[name])
        figures["median_ms"] = statistics.median(times) if times else 0.0
        figures["p95_ms"] = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else 0.0
        figures["errors"] = errors[name]
        results[name] = (figures, outputs[name])
    return results


def check_baselines(folder: Path) -> None:
    """Score the upstream reference outputs to check this scorer against the README table."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    print(f"{'baseline':<18}{'F1':>7}{'P':>7}{'R':>7}{'acc':>7}")
    for path in sorted((folder / "baseline-output").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        output = data.get("output", data) if "version" in data else data
        pairs = [(truth[i]["articleBody"], (output.get(i) or {}).get("articleBody") or "") for i in truth]
        f = aggregate(pairs)
        print(f"{path.stem:<18}{f['f1']:>7.3f}{f['precision']:>7.3f}{f['recall']:>7.3f}{f['accuracy']:>7.3f}")


def is_bench_folder(folder: Path) -> bool:
    return (folder / "ground-truth.json").exists() or any((p / "source.html").exists() for p in folder.iterdir() if p.is_dir())


def score_folder(folder: Path, names: list[str], limit: int = 0, worst: int = 0) -> dict[str, object]:
    """Run every extractor on one folder, print its table, return its summary."""
    pages = load_pages(folder)
    if limit:
        pages = pages[:limit]
    results: dict[str, dict[str, float]] = {}
    print(f"{folder.name}: {len(pages)} pages, 4-gram shingles, macro P/R, F1 of the means")
    header = f"{'extractor':<18}{'version':>9}{'P':>7}{'R':>7}{'F1':>7}{'F1<0.5':>8}{'med ms':>8}{'p95 ms':>8}{'errors':>7}"
    rows = []
    extractors = {name: searchkit_site_runner(pages) if name == "searchkit+site" else EXTRACTORS[name] for name in names}
    for name, (figures, outputs) in run_extractors(extractors, pages).items():
        figures["version"] = version_of(name)  # type: ignore[assignment]
        results[name] = figures
        rows.append(
            f"{name:<18}{figures['version']:>9}{figures['precision']:>7.3f}{figures['recall']:>7.3f}{figures['f1']:>7.3f}"
            f"{figures['low_f1_pages']:>8d}{figures['median_ms']:>8.1f}{figures['p95_ms']:>8.1f}{figures['errors']:>7d}"
        )
        if name == "searchkit" and worst:
            scored = []
            for page_id, _h, url, expected in pages:
                p, r = page_scores(expected, outputs[page_id])
                pp, rr = p or 0.0, r or 0.0
                scored.append((2 * pp * rr / (pp + rr) if pp + rr else 0.0, pp, rr, page_id, url))
            for f1, pp, rr, page_id, url in sorted(scored)[:worst]:
                print(f"  worst {f1:.3f} P {pp:.3f} R {rr:.3f} {page_id[:16]} {url}", file=sys.stderr)
    print(header)
    print("\n".join(rows))
    return {
        "pages_dir": folder.name,
        "pages": len(pages),
        "extractors": {
            name: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}
            for name, figures in results.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages_dir", nargs="?", default=str(REPO.parent / "shared" / "data" / "cleaner-bench"),
                        help="a benchmark folder, or a folder of them (e.g. ../shared/data: every one is scored)")
    parser.add_argument("--only", action="append", choices=sorted(EXTRACTORS), help="run only these extractors")
    parser.add_argument("--check-baselines", action="store_true", help="score baseline-output/ first")
    parser.add_argument("--pages", type=int, default=0, help="score only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst searchkit pages")
    args = parser.parse_args(argv)

    folder = Path(args.pages_dir)
    if not folder.is_dir():
        print(f"error: no benchmark folder at {folder}", file=sys.stderr)
        return 2
    folders = [folder] if is_bench_folder(folder) else sorted(p for p in folder.iterdir() if p.is_dir() and is_bench_folder(p))
    if not folders:
        print(f"error: {folder} holds no ground-truth.json and no <name>/source.html pages", file=sys.stderr)
        return 2
    summaries = []
    for bench in folders:
        if args.check_baselines and (bench / "baseline-output").is_dir():
            check_baselines(bench)
            print()
        summaries.append(score_folder(bench, args.only or list(EXTRACTORS), args.pages, args.worst))
        print()
    if len(summaries) == 1:
        print(json.dumps(summaries[0], sort_keys=True))
    else:
        print(json.dumps({"benchmarks": {s["pages_dir"]: s for s in summaries}}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
