"""Builds web-archive fixtures at test time: WARC files written with warcio from pages written
here, and WACZ files (a zip of them plus pages.jsonl) written with zipfile."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def news_page(title: str, paragraphs: list[str], *, published: str | None = None, canonical: str | None = None) -> str:
    """A plain news page: a headline, optional publication date and canonical link, paragraphs."""
    head = f"<title>{title}</title>"
    if published:
        head += f'<meta property="article:published_time" content="{published}">'
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{head}</head><body>"
            f"<nav><a href=\"/\">Home</a> <a href=\"/world\">World</a></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>© News Ltd</footer></body></html>")


@dataclass
class Rec:
    """One record to write: a response (default), a resource or a revisit."""

    uri: str
    date: str  # WARC-Date, e.g. 2024-03-05T10:00:00Z
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: str = "200 OK"
    rec_type: str = "response"
    http_headers: list[tuple[str, str]] | None = None  # extra headers (e.g. Transfer-Encoding)


def write_warc(path: Path, records: list[Rec], *, compress: bool = True, append: bool = False) -> Path:
    with open(path, "ab" if append else "wb") as fh:
        writer = WARCWriter(fh, gzip=compress)
        if not append:
            writer.write_record(writer.create_warcinfo_record(path.name, {"software": "searchkit tests"}))
        for r in records:
            warc_headers = {"WARC-Date": r.date}
            if r.rec_type == "revisit":
                record = writer.create_revisit_record(r.uri, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                                      refers_to_uri=r.uri, refers_to_date=r.date)
                record.rec_headers.replace_header("WARC-Date", r.date)
            elif r.rec_type == "resource":
                record = writer.create_warc_record(r.uri, "resource", payload=io.BytesIO(r.body),
                                                   warc_content_type=r.content_type, warc_headers_dict=warc_headers)
            else:
                headers = [("Content-Type", r.content_type), *(r.http_headers or [])]
                http = StatusAndHeaders(r.status, headers, protocol="HTTP/1.1")
                record = writer.create_warc_record(r.uri, "response", payload=io.BytesIO(r.body), http_headers=http,
                                                   warc_headers_dict=warc_headers, length=len(r.body))
            writer.write_record(record)
            if r.rec_type == "response":  # a crawler also writes the request
                req = writer.create_warc_record(r.uri, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"),
                                                warc_headers_dict=warc_headers)
                writer.write_record(req)
    return path


def chunked(body: bytes, size: int = 100) -> bytes:
    """``body`` in HTTP/1.1 chunked transfer encoding."""
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


def write_wacz(path: Path, warcs: list[Path], pages: list[dict[str, str]]) -> Path:
    """A WACZ as Webrecorder writes it: archive/*.warc.gz stored, pages/pages.jsonl, datapackage.json."""
    with zipfile.ZipFile(path, "w") as zf:
        for w in warcs:
            zf.write(w, f"archive/{w.name}", compress_type=zipfile.ZIP_STORED)
        lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
        lines += [json.dumps(p) for p in pages]
        zf.writestr("pages/pages.jsonl", "\n".join(lines) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1",
                                                    "resources": []}), compress_type=zipfile.ZIP_DEFLATED)
    return path
