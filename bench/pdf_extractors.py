"""Which PDF extractor: time per page, and how often a gold fact of the realdocs suite sits whole
in one sentence unit of what the extractor gives (units split at line breaks and full stops, the
way an index reads them), on the suite's PDFs.

Usage: python bench/pdf_extractors.py   (prints a table and a last line of JSON)
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import cpu_flags
from rag.chunk import document_sentences, sentence_spans
from rag.ocr import readable
from rag.parse import parse
from rag.text import terms

ROOT = Path(__file__).resolve().parent.parent / "evals" / "realdocs"
OCR_DOC = "debian-reference-shell"  # the PDF without a Unicode map: text PDFs are the others


def _pypdf(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _pdfium(data: bytes) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        return [
            pdf[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(pdf))
        ]
    finally:
        pdf.close()


def _pdfminer(data: bytes) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data)).split("\f")


EXTRACTORS: dict[str, Callable[[bytes], list[str]]] = {
    "pypdf": _pypdf,
    "pypdfium2": _pdfium,
    "pdfminer.six (plain)": _pdfminer,
}


def units_of(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def whole(units: list[str], item: dict) -> bool:
    """Does one unit hold a gold answer and most of the question's content words?"""
    q = set(terms(item["question"]))
    for unit in units:
        flat = re.sub(r"\s+", " ", unit).lower()
        has_answer = any(a.lower() in flat for a in item["answers"])
        if has_answer and (not q or len(q & set(terms(unit))) >= 0.5 * len(q)):
            return True
    return False


def main() -> int:
    gold = [json.loads(line) for line in (ROOT / "gold.jsonl").read_text().splitlines()]
    pdfs = sorted((ROOT / "docs").glob("*.pdf"))
    results: dict[str, dict] = {}
    for name, extract in [*EXTRACTORS.items(), ("this project (blocks)", None)]:
        found = total = pages = bad = text_found = text_total = text_pages = 0
        seconds = text_seconds = 0.0
        for path in pdfs:
            data = path.read_bytes()
            items = [g for g in gold if g["kind"] != "unanswerable" and g["sources"] == [path.stem]]
            t0 = time.perf_counter()
            if extract is None:
                parsed = parse(path.name, data)
                doc = parsed.document(path.stem)
                units = [doc.text[s:e] for s, e in document_sentences(doc)]
                n_pages, n_bad = len(parsed.pages), len(parsed.unread_pages)
            else:
                texts = extract(data)
                units = [u for t in texts for u in units_of(t)]
                n_pages, n_bad = len(texts), sum(not readable(t) for t in texts if t.strip())
            took = time.perf_counter() - t0
            hits = sum(whole(units, i) for i in items)
            seconds, pages, bad, total, found = (
                seconds + took,
                pages + n_pages,
                bad + n_bad,
                total + len(items),
                found + hits,
            )
            if path.stem != OCR_DOC:
                text_seconds, text_pages = text_seconds + took, text_pages + n_pages
                text_total, text_found = text_total + len(items), text_found + hits
        results[name] = {
            "facts_whole": f"{found}/{total}",
            "facts_whole_text_pdfs": f"{text_found}/{text_total}",
            "unreadable_pages": bad,
            "s_per_page_text_pdfs": round(text_seconds / max(text_pages, 1), 3),
        }
    print(
        f"{'extractor':24} {'facts whole':>12} {'(text PDFs)':>12} {'unreadable':>11} {'s/page':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:24} {r['facts_whole']:>12} {r['facts_whole_text_pdfs']:>12} "
            f"{r['unreadable_pages']:>11} {r['s_per_page_text_pdfs']:>7}"
        )
    print(json.dumps({"results": results, "cpu": cpu_flags()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
