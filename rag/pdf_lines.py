"""PDF text lines from their characters: superscripts marked, letter-spaced lines re-spaced,
monospace boxes told apart as code.

pdfminer.six writes a superscript inline with its line: "larger than 10^20" comes out as "larger
than 1020" (a wrong number, quoted as a fact), "(x^3 + x^2)" as "(x3 + x2)", and a footnote
marker glues onto its word ("Kadatch1", "Trovato∗") so the word no longer matches the question's.
Here a run of characters smaller than the line's own and raised above its baseline is:
- a power after a whole number, a closing bracket or a word of one or two letters ("x", "cm"):
  written "^3", "^(n-1)";
- a footnote marker (digits, commas, ∗ † ‡ § ¶) after a longer word, a decimal number ("1.16"
  in a table) or punctuation, or opening a line (the footnote's own label, "¹Google Inc."):
  dropped, as both ends of the reference go;
- an ordinal's letters ("19th") or anything else ("Brand™", the raised A inside "LaTeX"): kept
  as it is.

A box of lines set in a monospace font is program text: `code_indents` gives each line's indent
in character cells, which pdfminer drops.

A line set with tracking (space between every two letters, as a paper's code listing often is)
comes out of pdfminer as "r e t u r n p r o d u c t ;"; it is re-spaced from the gaps alone.
"""

from __future__ import annotations

import itertools
import re
import statistics
from typing import Any

_TRACKED = 0.05  # letter gaps over this share of the font size: a letter-spaced line
_WORD_GAP = 0.25  # a word gap in such a line: the letters' gap plus this share of the size
_SMALLER = 0.8  # a superscript's size, at most, as a share of the line's median size
_RAISED = 0.25  # how far above the baseline its bottom sits, at least, in the line's size
_POWER_BASE = re.compile(r"(?:(?<![\d.])\d+|\)|(?<![A-Za-z])[A-Za-z]{1,2})$")
_ORDINALS = {"st", "nd", "rd", "th"}  # "19th"; not "e": "x^e mod n" is a power
_MARKER = re.compile(r"[\d,∗*†‡§¶]+")
_AFTER_WORD = re.compile(r"(?:[A-Za-z]{3,}|\d\.\d+|[.,;:\]])$")


def line_text(line: Any) -> str:
    """The text of a pdfminer LTTextLine, superscripts marked (see the module docstring)."""
    from pdfminer.layout import LTChar

    items = list(line)
    chars = [c for c in items if isinstance(c, LTChar) and c.get_text().strip()]
    if len(chars) < 3:
        return str(line.get_text())
    sizes = [c.size for c in chars]
    size = statistics.median(sizes)
    tracking = _tracking(chars)
    if tracking > _TRACKED * size:
        return _respaced(items, tracking + _WORD_GAP * size)
    if min(sizes) >= _SMALLER * size:
        return str(line.get_text())  # no smaller character: no superscript (most lines)
    base = statistics.median(c.y0 for c in chars if c.size >= 0.9 * size)

    def raised(item: Any) -> bool:
        return (
            isinstance(item, LTChar)
            and bool(item.get_text().strip())
            and item.size < _SMALLER * size
            and item.y0 > base + _RAISED * size
        )

    out: list[str] = []
    i = 0
    while i < len(items):
        if not raised(items[i]):
            out.append(items[i].get_text())
            i += 1
            continue
        j = i
        while j < len(items) and raised(items[j]):
            j += 1
        after = items[j].get_text() if j < len(items) else ""
        out.append(_mark("".join(out), "".join(x.get_text() for x in items[i:j]), after))
        i = j
    return "".join(out)


def _tracking(chars: list[Any]) -> float:
    """The space a line sets between the letters of a word: the lower quartile of the gaps
    between its letters and digits (0 in ordinary text, where only word gaps are wide; a table
    of contents' dot leaders do not count)."""
    alnum = [c.get_text().isalnum() for c in chars]
    pairs = itertools.pairwise(zip(chars, alnum, strict=True))
    gaps = sorted(b.x0 - a.x1 for (a, x), (b, y) in pairs if x and y)
    return gaps[len(gaps) // 4] if gaps else 0.0


def _respaced(items: list[Any], word_gap: float) -> str:
    """A letter-spaced line ("s i g n i f i c a n t b i t s", a paper's code listing set with
    tracking): pdfminer puts a space after every letter, so spaces go only where the gap is a
    word's."""
    from pdfminer.layout import LTChar

    out: list[str] = []
    last = None
    for item in items:
        if not isinstance(item, LTChar):
            continue  # pdfminer's own spaces and line end
        text = item.get_text()
        if not text.strip():
            if out and out[-1] != " ":
                out.append(" ")  # a space the PDF sets as a glyph
            continue
        if last is not None and item.x0 - last.x1 > word_gap and out[-1] != " ":
            out.append(" ")
        out.append(text)
        last = item
    return "".join(out)


def _mark(before: str, run: str, after: str) -> str:
    if _MARKER.fullmatch(run) and (not before.strip() or _AFTER_WORD.search(before)):
        # a footnote marker, or the label opening the footnote itself
        return " " if before.strip() and after[:1].isalpha() else ""
    if after[:1].isalpha():
        return run  # inside a word: the raised A of the LaTeX logo
    if run in _ORDINALS or "(cid:" in run:
        return run  # "19th"; a glyph without a Unicode map (a prime) goes with the others
    if _POWER_BASE.search(before) and any(ch.isalnum() for ch in run) and "," not in run:
        return "^" + run if run.isalnum() else f"^({run})"
    return run


# Font names of monospace faces: Courier, Nimbus Mono (NimbusMonL), TeX's typewriter (CMTT,
# CMSLTT, cm-super SFTT, Latin Modern LMMono), DejaVu/Liberation Mono, Inconsolata, Consolas...
_MONOSPACE = re.compile(
    r"courier|mono|monl-|cmtt|cmsltt|sftt|typewriter|inconsolata|consola|menlo|monaco|txtt", re.I
)
_CODE_SHARE = 0.9  # of a box's characters in a monospace font: a code block


def code_indents(lines: list[list[Any]]) -> list[int] | None:
    """Each line's indent in character cells when a box of two lines or more (each given as
    its visible pdfminer LTChars) is set in a monospace font; None for any other box."""
    chars = [c for line in lines for c in line]
    if len(lines) < 2 or not chars:
        return None
    mono = {f for f in {c.fontname for c in chars} if _MONOSPACE.search(f)}  # a few fonts a box
    if not mono or sum(1 for c in chars if c.fontname in mono) < _CODE_SHARE * len(chars):
        return None
    cell = statistics.median(c.width for c in chars) or 1.0
    starts = [line[0].x0 if line else None for line in lines]
    left = min(x for x in starts if x is not None)
    return [0 if x is None else round((x - left) / cell) for x in starts]
