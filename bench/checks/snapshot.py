"""Snapshot what a user sees on BBC 1x, to check that a change of code alters no output.

Builds an index of the BBC articles with the ``searchkit`` on PATH (so run it from the
virtualenv of the checkout under test), then writes ``search --json`` for a fixed set of
queries (plain, OR, phrase, filters, facets, dates) and ``show`` / ``show --json`` for a
fixed set of articles into one text file. ``elapsed_ms`` is removed (it is a timing).
Compare two snapshots with ``diff``::

    python bench/checks/snapshot.py --out /tmp/before.txt      # on the old checkout
    python bench/checks/snapshot.py --out /tmp/after.txt       # on the new one
    diff /tmp/before.txt /tmp/after.txt && echo byte-identical

The index is built in ``--workdir`` at the same path both times, so stored paths agree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

QUERIES: list[list[str]] = [
    ["gordon brown budget"], ["apple ipod"], ["said"], ["tony blair", "--facets"],
    ["election", "--any", "-n", "20"], ["oil prices OR opec", "-n", "15"],
    ['"prime minister"'], ['"world cup" final'], ["chelsea", "--org", "chelsea"],
    ["music", "--person", "blair"], ["economy growth", "--place", "china"],
    ["film award", "--facets", "-n", "5"], ["broadband", "--all-passages"],
    ["mobile phone", "--site", "bbc"], ["yukos", "--in-article", "--place", "russia"],
    ["what did the government say about the budget deficit and taxes", "--any"],
    ["how are mobile phone makers doing in the european market", "--any", "-n", "20"],
    ["blair~1"], ["microsof*"], ["title:budget"], ["-n", "3", "games", "--exact-count"],
    ["lukashenka"], ["tax NOT budget"], ["(labour OR tory) election"],
    ["iraq war", "--facets", "--any"], ["champions league", "-n", "30"],
]


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


def strip_timing(out: str) -> str:
    try:
        doc = json.loads(out)
    except ValueError:
        return out
    if isinstance(doc, dict):
        doc.pop("elapsed_ms", None)
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-snapshot")
    ap.add_argument("--skip-ingest", action="store_true", help="reuse the index in --workdir")
    ap.add_argument("--articles", type=int, default=40, help="articles to `show` (default 40)")
    args = ap.parse_args(argv)

    exe = shutil.which("searchkit") or str(Path(sys.executable).parent / "searchkit")
    index = args.workdir / "index"
    env = dict(os.environ, SEARCHKIT_INDEX=str(index), NO_COLOR="1", COLUMNS="100")
    lines: list[str] = []
    if not args.skip_ingest:
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        p = run([exe, "ingest", str(args.data / "news" / "bbc"), "--json"], env)
        doc = json.loads(p.stdout)
        lines.append(f"ingest exit {p.returncode}: new {doc.get('new')} failed {len(doc.get('failed', []))}")
    for q in QUERIES:
        p = run([exe, "search", *q, "--json"], env)
        lines += [f"$ search {' '.join(q)} --json  # exit {p.returncode}", strip_timing(p.stdout), p.stderr]
    p = run([exe, "search", "said", "-n", "500", "--json"], env)
    ids = sorted({h["article_id"] for h in json.loads(p.stdout)["hits"]})[: args.articles]
    for aid in ids:
        for extra in ([], ["--json"], ["--removed"]):
            p = run([exe, "show", aid, *extra], env)
            lines += [f"$ show {aid} {' '.join(extra)}  # exit {p.returncode}", strip_timing(p.stdout), p.stderr]
    for cmd in (["entities", "--type", "person", "--top", "30"], ["entities", "--json", "--top", "30"],
                ["similar", f"{ids[0]}:0", "--json"]):
        p = run([exe, *cmd], env)
        lines += [f"$ {' '.join(cmd)}  # exit {p.returncode}", strip_timing(p.stdout), p.stderr]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"{args.out}: {len(QUERIES)} searches, {len(ids)} articles shown")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
