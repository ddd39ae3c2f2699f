"""Score searchkit's cleaner against trafilatura and readability-lxml on saved news pages.

Usage::

    python bench/clean_eval.py [PAGES_DIR] [--only searchkit] [--check-baselines] [--pages N]

``PAGES_DIR`` defaults to ``../shared/data/cleaner-bench`` relative to the repo root and is
laid out as ``html/<id>.html.gz`` plus ``ground-truth.json`` (``{id: {"articleBody",
"url"}}``). A folder laid out like ``readability-pages`` (``<name>/source.html`` and
``<name>/expected.txt``) is recognised too; its expected text is Readability.js output,
so it is a softer check.

Metric (the article-extraction-benchmark's own): tokens are ``\\w+`` runs (case kept),
compared as multisets of 4-token shingles; per-page precision and recall are averaged over
pages, and F1 is the harmonic mean of the two averages. ``--check-baselines`` scores the
reference outputs in ``baseline-output/`` so the scorer can be checked against the
published dev-split table.

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

REPO = Path(__file__).resolve().parent.parent
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


EXTRACTORS: dict[str, Extractor] = {
    "searchkit": searchkit_extract,
    "trafilatura": trafilatura_extract,
    "readability-lxml": readability_extract,
}


def version_of(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    if name == "searchkit":
        return "repo"  # always the checkout this script sits in, whatever is installed
    try:
        return version(name)
    except PackageNotFoundError:
        return "repo"


def run_extractor(extract: Extractor, pages: list[tuple[str, str, str | None, str]]) -> tuple[dict[str, float], dict[str, str], int]:
    outputs: dict[str, str] = {}
    timings: list[float] = []
    errors = 0
    for page_id, html, url, _expected in pages:
        start = time.perf_counter()
        try:
            outputs[page_id] = extract(html, url)
        except Exception as error:  # a bench counts failures instead of stopping
            print(f"  {page_id[:12]}: {type(error).__name__}: {error}", file=sys.stderr)
            outputs[page_id] = ""
            errors += 1
        timings.append((time.perf_counter() - start) * 1000)
    figures = aggregate([(expected, outputs[page_id]) for page_id, _h, _u, expected in pages])
    timings.sort()
    figures["median_ms"] = statistics.median(timings)
    figures["p95_ms"] = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    figures["errors"] = errors
    return figures, outputs, errors


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages_dir", nargs="?", default=str(REPO.parent / "shared" / "data" / "cleaner-bench"))
    parser.add_argument("--only", action="append", choices=sorted(EXTRACTORS), help="run only these extractors")
    parser.add_argument("--check-baselines", action="store_true", help="score baseline-output/ first")
    parser.add_argument("--pages", type=int, default=0, help="score only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst searchkit pages")
    args = parser.parse_args(argv)

    folder = Path(args.pages_dir)
    if not folder.is_dir():
        print(f"error: no benchmark folder at {folder}", file=sys.stderr)
        return 2
    if args.check_baselines and (folder / "baseline-output").is_dir():
        check_baselines(folder)
        print()
    pages = load_pages(folder)
    if args.pages:
        pages = pages[: args.pages]
    results: dict[str, dict[str, float]] = {}
    print(f"{folder.name}: {len(pages)} pages, 4-gram shingles, macro P/R, F1 of the means")
    header = f"{'extractor':<18}{'version':>9}{'P':>7}{'R':>7}{'F1':>7}{'F1<0.5':>8}{'med ms':>8}{'p95 ms':>8}{'errors':>7}"
    rows = []
    for name in args.only or list(EXTRACTORS):
        figures, outputs, _errors = run_extractor(EXTRACTORS[name], pages)
        figures["version"] = version_of(name)  # type: ignore[assignment]
        results[name] = figures
        rows.append(
            f"{name:<18}{figures['version']:>9}{figures['precision']:>7.3f}{figures['recall']:>7.3f}{figures['f1']:>7.3f}"
            f"{figures['low_f1_pages']:>8d}{figures['median_ms']:>8.1f}{figures['p95_ms']:>8.1f}{figures['errors']:>7d}"
        )
        if name == "searchkit" and args.worst:
            scored = []
            for page_id, _h, url, expected in pages:
                p, r = page_scores(expected, outputs[page_id])
                pp, rr = p or 0.0, r or 0.0
                scored.append((2 * pp * rr / (pp + rr) if pp + rr else 0.0, pp, rr, page_id, url))
            for f1, pp, rr, page_id, url in sorted(scored)[: args.worst]:
                print(f"  worst {f1:.3f} P {pp:.3f} R {rr:.3f} {page_id[:16]} {url}", file=sys.stderr)
    print(header)
    print("\n".join(rows))
    summary = {
        "pages_dir": folder.name,
        "pages": len(pages),
        "extractors": {
            name: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}
            for name, figures in results.items()
        },
    }
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
