"""Is a page's text real text? And OCR for pages whose text is not (tesseract's CLI over a page
image that PDFium renders): a PDF whose fonts carry no Unicode map yields glyph codes
("/g18/g152", "(cid:39)") or shifted letters ("7KH URRW"), never words.

OCR runs only where `tesseract` is on PATH (Debian: tesseract-ocr; `make run` installs it) and
`RAG_OCR` is not "off"; it costs about 2-4 s a page on 2 cores at 300 dpi.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

OCR_DPI = 300
OCR_TIMEOUT_S = 60
# Function words of the languages users are most likely to bring: real prose, whatever it is
# about, is at least a few percent these; glyph codes and shifted letters never are.
_FUNCTION_WORD_TEXT = """the of and to in is a that for it as with be on by this are or from an at
which not can if we you der die das und ist nicht mit von zu den le la les et des est une un pour
dans el los las y que en por una se del il di che per"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_TEXT.split())
_GLYPH_CODE = re.compile(r"/g\d+|\(cid:\d+\)|/uni[0-9A-Fa-f]{4}|/[A-Za-z]\d{2,}")


def readable(text: str, minimum: int = 20) -> bool:
    """Does `text` read as words? False for glyph codes, control characters, private-use
    symbols, shifted letters, or no text. Short texts (< `minimum` words) pass if clean."""
    if not text.strip():
        return False
    chars = [ch for ch in text if not ch.isspace()]
    bad = sum(
        1
        for ch in chars
        if ord(ch) < 32 or 0xE000 <= ord(ch) <= 0xF8FF or ch in "\ufffd\ufffe\uffff"
    )
    codes = sum(len(m) for m in _GLYPH_CODE.findall(text))
    if bad / max(1, len(chars)) > 0.05 or (bad + codes) / max(1, len(chars)) > 0.3:
        return False  # control characters, or mostly codes (a few are a formula's symbols)
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < minimum:
        return True
    if sum(1 for ch in text if ord(ch) > 0x2E80) > len(chars) / 3:
        return True  # CJK text has no spaces to count words by
    latin = [w for w in words if w.isascii()]
    if len(latin) < len(words) / 2:
        return True  # another script: no function-word test for it
    return sum(w in _FUNCTION_WORDS for w in latin) / len(latin) >= 0.03


def ocr_available() -> bool:
    """OCR is on (RAG_OCR is not "off") and tesseract is installed."""
    return (
        os.environ.get("RAG_OCR", "auto").lower() != "off" and shutil.which("tesseract") is not None
    )


def ocr_image(path: Path, language: str | None = None) -> str | None:
    """Text of one image by tesseract's CLI, None when it fails or times out."""
    language = language or os.environ.get("RAG_OCR_LANG", "eng")
    try:
        done = subprocess.run(
            ["tesseract", str(path), "stdout", "-l", language, "--psm", "3"],
            capture_output=True,
            timeout=OCR_TIMEOUT_S,
            check=False,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def ocr_pdf_page(data: bytes, index: int) -> str | None:
    """OCR of page `index` (0-based) of a PDF, rendered by PDFium at OCR_DPI."""
    try:
        import pypdfium2
    except ImportError:
        return None
    try:
        pdf = pypdfium2.PdfDocument(data)
        try:
            image = pdf[index].render(scale=OCR_DPI / 72, grayscale=True).to_pil()
        finally:
            pdf.close()
    except Exception:
        return None
    with tempfile.TemporaryDirectory(prefix="rag-ocr-") as tmp:
        path = Path(tmp) / "page.png"
        image.save(path)
        return ocr_image(path)
