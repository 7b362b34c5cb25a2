"""Files are parsed in a child process with a memory cap and a time limit: a hostile file costs
bounded memory and time, gets a clear error, and the next file is read as usual."""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from rag.isolate import parse_isolated
from rag.parse import ParseError

DOCS = Path(__file__).resolve().parents[2] / "evals" / "realdocs" / "docs"


def test_a_real_file_reads_the_same_in_the_child() -> None:
    data = (DOCS / "flask-security.html").read_bytes()
    assert parse_isolated("flask-security.html", data, 1024, 60).title == "Security Considerations"


def test_a_docx_zip_bomb_is_refused_before_it_inflates() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b"a" * 60_000_000 + b"</w:document>")
    started = time.monotonic()
    with pytest.raises(ParseError, match="zip bomb"):
        parse_isolated("bomb.docx", buf.getvalue(), 1024, 60)
    assert time.monotonic() - started < 20


def test_a_file_over_the_time_limit_is_killed_and_refused() -> None:
    data = (DOCS / "acmart-sample-sigconf.pdf").read_bytes()
    started = time.monotonic()
    with pytest.raises(ParseError, match="took longer than"):
        parse_isolated("slow.pdf", data, 1024, 0.05)
    assert time.monotonic() - started < 10


def pdf_bomb(n: int) -> bytes:
    """A one-page PDF whose content stream (389 KB packed for 400 MB) inflates to `n` spaces."""
    stream = zlib.compress(b" " * n, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )


def test_a_pdf_bomb_over_the_memory_cap_is_refused() -> None:
    started = time.monotonic()
    with pytest.raises(ParseError, match="more than 256 MB"):
        parse_isolated("bomb.pdf", pdf_bomb(400_000_000), 256, 120)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "page",
    [
        b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>",
        b"<html><body>" + b"<p>word " * 300_000 + b"</body></html>",
    ],
    ids=["100k nested", "300k siblings"],
)
def test_hostile_html_is_refused_in_bounded_time(page: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(ParseError):
        parse_isolated("hostile.html", page, 1024, 120)
    assert time.monotonic() - started < 30


def test_html_parse_time_is_linear_in_its_elements() -> None:
    def page(n: int) -> bytes:
        body = b"".join(b"<p>Paragraph %d says something.</p>" % i for i in range(n))
        return b"<html><body>" + body + b"</body></html>"

    def seconds(n: int) -> float:
        started = time.monotonic()
        parse_isolated("many.html", page(n), 1024, 120)
        return time.monotonic() - started

    small, large = seconds(5_000), seconds(40_000)
    assert large < 10 and large < 8 * small + 2  # 8x the elements, not 64x the time


def test_reading_stops_when_the_client_has_left() -> None:
    data = (DOCS / "debian-reference-shell.pdf").read_bytes()  # OCR: seconds of work
    started = time.monotonic()
    with pytest.raises(ParseError, match="the client left"):
        parse_isolated("left.pdf", data, 1024, 120, gone=lambda: True)
    assert time.monotonic() - started < 5
