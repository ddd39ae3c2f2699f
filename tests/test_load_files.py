"""Reading one file's bytes: size caps checked before reading, corrupt gzip, file names."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from searchkit import load
from searchkit.errors import SourceError

GOOD_TEXT = ("The harbour authority in Gdansk said on Tuesday that grain exports had doubled since spring, "
             "and officials expect the new terminal to open before the winter storms.")


def test_read_bytes_refuses_a_big_file_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(load.MAX_FILE_BYTES + 1)  # sparse: size without content
    reads: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def read(self, n: int = -1) -> bytes:
            reads.append(n)
            return self.fh.read(n)

    monkeypatch.setattr("builtins.open", lambda *a, **k: Spy(real_open(*a, **k)))
    with pytest.raises(SourceError, match="larger than the 64 MB limit"):
        load.read_bytes(str(big))
    assert sum(reads) <= 2  # only the gzip magic was read



def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt.gz"
    path.write_bytes(gzip.compress(GOOD_TEXT.encode())[:-12])
    with pytest.raises(SourceError, match="^corrupt gzip data"):
        load.read_bytes(str(path))



def test_display_path_escapes_undecodable_bytes() -> None:
    raw = os.fsdecode(b"/data/caf\xe9.txt")
    assert load.display_path(raw) == "/data/caf\\xe9.txt"
    assert load.display_path("/data/café.txt") == "/data/café.txt"

