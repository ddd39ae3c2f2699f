"""Shared fixtures: the repository's corpus/ ingested once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import searchkit

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEED = CORPUS / "sofrep-belarus-border.txt"


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of corpus/ built through the real pipeline (real cleaner, real NER)."""
    index = tmp_path_factory.mktemp("corpus") / "index"
    report = searchkit.ingest([CORPUS], index=index, workers=1)
    assert report.failed == [], report.failed
    return index


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m searchkit`` as a real subprocess, as a user or script would."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **(env or {})}
    full_env.pop("SEARCHKIT_INDEX", None) if "SEARCHKIT_INDEX" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "searchkit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)
