"""Pages as browsers save them (issue 17): MHTML (a hand-written RFC 2557 file), "Webpage,
Complete" (``NAME.html`` + ``NAME_files/``) and SingleFile pages with megabytes of inline
``data:`` URIs."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from pathlib import Path

from searchkit import load
from searchkit.cleaner import clean_source
from searchkit.load.htmlpage import saved_page_hints, strip_data_uris

from .reliability_support import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "saved"
PARAGRAPHS = ("<p>The Aleksotas bridge in Kaunas reopened on Monday after two years of repairs, the city council said.</p>"
              "<p>Commuters crossed it before dawn, and tram services are to resume in the spring.</p>")


def test_hand_written_mhtml_gives_the_page_with_url_and_dates() -> None:
    sources, issues = load.read_file(str(FIXTURES / "kaunas-bridge.mhtml"))
    assert not issues
    (source,) = sources
    assert source.input_kind == "mhtml" and source.kind == "html"
    cleaned = clean_source(source)
    assert cleaned.metadata.url == "https://news.example/2024/03/kaunas-bridge"  # Snapshot-Content-Location
    assert cleaned.metadata.date == "2024-03-05T10:20:30+00:00"  # saved date: the page states none
    assert cleaned.metadata.title == "Kaunas bridge reopens"
    # quoted-printable soft line breaks joined, UTF-8 bytes decoded, the image part not read as text
    assert "after two years of repairs" in cleaned.text and "Vilijampolė" in cleaned.text
    assert "iVBOR" not in source.content


def test_mhtml_with_base64_page_in_a_legacy_charset_and_a_start_part(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Subject"] = "Ignored when the page has a title"
    msg["Snapshot-Content-Location"] = "https://news.example/cafe"
    msg.set_type("multipart/related")
    msg.set_param("type", "text/html")
    msg.set_param("start", "<page@x>")
    frame = EmailMessage()
    frame.set_content("<html><body><p>An advert frame, not the page.</p></body></html>", subtype="html")
    page = EmailMessage()
    html = f"<html><head><title>Café owners protest in Besançon</title></head><body><article>{PARAGRAPHS}" \
           "<p>Café owners in Besançon protested the new tax on Thursday.</p></article></body></html>"
    page.set_content(html.encode("cp1252"), maintype="text", subtype="html", cte="base64")
    page.replace_header("Content-Type", 'text/html; charset="windows-1252"')
    page["Content-ID"] = "<page@x>"
    msg.attach(frame)
    msg.attach(page)
    path = tmp_path / "cafe.mht"
    path.write_bytes(bytes(msg))
    (source,), issues = load.read_file(str(path))
    cleaned = clean_source(source)
    assert not issues and "Café owners in Besançon" in cleaned.text and "advert frame" not in cleaned.text
    assert cleaned.metadata.title == "Café owners protest in Besançon"


def test_mhtml_without_a_page_fails_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "images.mhtml"
    path.write_bytes(b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\n"
                     b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n")
    sources, issues = load.read_file(str(path))
    assert not sources and [i.reason for i in issues] == ["no text/html part in the MHTML file"]


def _complete_save(folder: Path) -> Path:
    """A page saved as "Webpage, Complete": the page, and its assets (one of them an .html frame)."""
    folder.mkdir()
    page = folder / "Kaunas bridge reopens.html"
    page.write_text("<!-- saved from url=(0042)https://news.example/2024/03/kaunas-br -->\n"
                    f"<html><head><title>Kaunas bridge reopens</title>"
                    f'<link rel="stylesheet" href="./Kaunas bridge reopens_files/site.css"></head>'
                    f"<body><article>{PARAGRAPHS}</article></body></html>", encoding="utf-8")
    assets = folder / "Kaunas bridge reopens_files"
    assets.mkdir()
    (assets / "site.css").write_text("body { font: 12px serif }")
    (assets / "app.js").write_text("var x = 1;")
    (assets / "ad-frame.html").write_text(f"<html><body>{PARAGRAPHS.replace('Kaunas', 'Advert')}</body></html>")
    (assets / "notes.txt").write_text("Tracking pixel list and other junk that is not an article.")
    (folder / "other_files").mkdir()  # no other.html beside it: an ordinary folder
    (folder / "other_files" / "memo.txt").write_text("A memo about the harbour strike in Gdynia on Friday.")
    return page


def test_webpage_complete_assets_are_skipped_and_counted(tmp_path: Path) -> None:
    page = _complete_save(tmp_path / "saved")
    files, issues = load.discover([tmp_path / "saved"])
    assert sorted(Path(f.path).name for f in files) == ["Kaunas bridge reopens.html", "memo.txt"]
    assert [(Path(i.where).name, i.reason, i.status) for i in issues] == [
        ("Kaunas bridge reopens_files", "4 asset files skipped (saved with Kaunas bridge reopens.html)", "skipped")]
    (source,), _ = load.read_file(str(page))
    assert source.defaults["url"] == "https://news.example/2024/03/kaunas-br"  # the "saved from" comment


def test_webpage_complete_ingest_reports_the_skipped_assets(tmp_path: Path) -> None:
    _complete_save(tmp_path / "saved")
    run = run_cli(["ingest", str(tmp_path / "saved"), "--index", str(tmp_path / "index"), "--json", "-w", "1"])
    report = json.loads(run.stdout)
    assert run.returncode == 0 and report["new"] == 2 and report["failed"] == []
    assert [s["reason"] for s in report["skipped"]] == [
        "4 asset files skipped (saved with Kaunas bridge reopens.html)"]
    text = run_cli(["ingest", str(tmp_path / "saved"), "--index", str(tmp_path / "index")])
    assert "4 asset files skipped" in text.stderr and "--include-skipped" in text.stderr


def _singlefile_page(mb: int) -> str:
    image = base64.b64encode(bytes(range(256)) * (mb * 2**20 * 3 // 4 // 256 + 1)).decode()
    font = base64.b64encode(b"font" * 50_000).decode()
    return ("<!DOCTYPE html> <html><!--\n Page saved with SingleFile \n url: https://news.example/kaunas \n"
            " saved date: Tue Mar 05 2024 10:20:30 GMT+0100 (Central European Standard Time)\n-->"
            f"<head><title>Kaunas bridge reopens</title><style>@font-face{{src:url(data:font/woff2;base64,{font})}}"
            f"</style></head><body><article>{PARAGRAPHS}"
            f'<img src="data:image/png;base64,{image}" alt="The bridge">'
            f'<img srcset="data:image/webp;base64,{image[:5000]} 1x, data:image/webp;base64,{image[:6000]} 2x">'
            "</article></body></html>")


def test_singlefile_page_loses_its_data_uris_before_parsing(tmp_path: Path) -> None:
    html = _singlefile_page(10)
    assert len(html) > 10 * 2**20  # over the 5M-character article limit as saved
    path = tmp_path / "kaunas.html"
    path.write_text(html, encoding="utf-8")
    (source,), issues = load.read_file(str(path))
    assert not issues
    assert len(source.content) < 5000 and "base64" not in source.content and source.content.count("data:,") == 4
    assert source.defaults == {"url": "https://news.example/kaunas", "date": "2024-03-05T10:20:30+01:00"}
    cleaned = clean_source(source)
    assert "after two years of repairs" in cleaned.text and "iVBOR" not in cleaned.text
    assert cleaned.metadata.date == "2024-03-05T10:20:30+01:00"


def test_data_uri_stripping_leaves_prose_and_short_uris_alone() -> None:
    prose = "<p>The metadata:field format and data:text in a sentence stay as written.</p>"
    tiny = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    assert strip_data_uris(prose + tiny) == (prose + tiny, 0)
    assert saved_page_hints("<html><body>no hints</body></html>") == {}
