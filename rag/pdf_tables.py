"""Tables in a PDF page, rebuilt from pdfminer's text boxes.

pdfminer sets a table's columns as separate boxes ("1200k / 2000k / ..." under "Compress usage"),
and a column of figures alone looks like figure-label soup: read box by box, the table is lost.
Here columns are boxes of three or more short lines standing side by side over the same rows;
the short boxes just above them are their headers. Each row becomes one line, every cell after
its column's header: "Flag -1 | Compress usage 1200k | Decompress usage 500k | ...", which the
reader and BM25 read as they read an HTML table's rows. A column of short terms beside a box of
their descriptions (an option list) becomes "term: description" rows.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_CELL_WORDS = 3  # a table cell is a figure or a few words
_CELL_CHARS = 24
_FIGURE = re.compile(r"^[-+~<>]?[\d.,:%]+\s*[a-zA-Z%]{0,3}$")


class _Boxlike(Protocol):
    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[str]


@dataclass(frozen=True)
class Table:
    """A table found on a page: the boxes it was made of and its rows."""

    members: tuple[int, ...]  # indices into the page's boxes: columns and headers
    rows: tuple[str, ...]


def find_tables(boxes: Sequence[_Boxlike]) -> list[Table]:
    """The tables among one page's boxes (none when no columns stand side by side)."""
    columns = [i for i, b in enumerate(boxes) if _is_column(b)]
    is_column = set(columns)
    level = _RowIndex(boxes)
    tables, used = [], set[int]()
    for i in columns:
        if i in used:
            continue
        group = [j for j in level.beside(i) if j in is_column and j not in used]
        numeric = [j for j in group if _mostly_figures(boxes[j])]
        if len(group) < 2 or not numeric:
            continue
        group.sort(key=lambda j: boxes[j].x0)
        used.update(group)
        headers = _headers(boxes, group, used)
        used.update(h for hs in headers.values() for h in hs)
        labels = {
            j: " ".join(ln for h in headers.get(j, []) for ln in boxes[h].lines) for j in group
        }
        rows = [
            " | ".join(f"{labels[j]} {boxes[j].lines[r].strip()}".strip() for j in group)
            for r in range(len(boxes[group[0]].lines))
        ]
        members = (*group, *(h for hs in headers.values() for h in hs))
        tables.append(Table(tuple(sorted(members)), tuple(rows)))
    return tables + _term_lists(boxes, used, level)


class _RowIndex:
    """The page's boxes by their top edge: the ones standing over the same rows as a box are
    found by bisection, not by a scan of the page (2,000 short labels on 19 rows: 3.8 -> 0.6 s)."""

    def __init__(self, boxes: Sequence[_Boxlike]) -> None:
        self.boxes = boxes
        self.order = sorted(range(len(boxes)), key=lambda i: boxes[i].y1)
        self.tops = [boxes[i].y1 for i in self.order]

    def beside(self, i: int) -> list[int]:
        """The boxes over the same rows as box `i` (itself included), in page order."""
        a = self.boxes[i]
        half = (a.y1 - a.y0) / len(a.lines) / 2
        lo, hi = bisect_left(self.tops, a.y1 - half), bisect_right(self.tops, a.y1 + half)
        return sorted(j for j in self.order[lo:hi] if _same_rows(a, self.boxes[j]))


def _term_lists(boxes: Sequence[_Boxlike], used: set[int], level: _RowIndex) -> list[Table]:
    """A column of short terms beside a box of as many lines over the same rows: an option list
    or a glossary set as two columns ("-c, --check" beside "checks the syntax only"). Read box by
    box, the terms and their descriptions came out as two runs that no longer pair. Each row
    becomes "term: description", as an HTML definition list's entry is read."""
    out = []
    for i, term in enumerate(boxes):
        if i in used or not _is_column(term) or _mostly_figures(term):
            continue
        beside = [j for j in level.beside(i) if j not in used and boxes[j].x0 > term.x1]
        if len(beside) != 1 or _is_column(boxes[beside[0]]):
            continue  # several, or short cells: a table's business, not a term list's
        (j,) = beside
        pairs = zip(term.lines, boxes[j].lines, strict=True)
        rows = tuple(f"{t.strip()}: {d.strip()}" for t, d in pairs)
        used.update((i, j))
        out.append(Table((min(i, j), max(i, j)), rows))
    return out


def _is_column(box: _Boxlike) -> bool:
    return len(box.lines) >= 3 and all(
        len(line.split()) <= _CELL_WORDS and len(line) <= _CELL_CHARS for line in box.lines
    )


def _mostly_figures(box: _Boxlike) -> bool:
    return sum(bool(_FIGURE.match(line.strip())) for line in box.lines) * 2 > len(box.lines)


def _same_rows(a: _Boxlike, b: _Boxlike) -> bool:
    """Side by side over the same rows: as many lines, top and bottom within half a line."""
    if len(a.lines) != len(b.lines):
        return False
    pitch = (a.y1 - a.y0) / len(a.lines)
    return abs(a.y1 - b.y1) < pitch / 2 and abs(a.y0 - b.y0) < pitch / 2


def _headers(boxes: Sequence[_Boxlike], group: list[int], used: set[int]) -> dict[int, list[int]]:
    """The short boxes standing just above the columns (within three lines), each given to the
    column it overlaps most, top one first."""
    top = max(boxes[j].y1 for j in group)
    pitch = (boxes[group[0]].y1 - boxes[group[0]].y0) / len(boxes[group[0]].lines)
    out: dict[int, list[int]] = {}
    for h, box in enumerate(boxes):
        short = len(box.lines) <= 3 and all(len(line) <= _CELL_CHARS for line in box.lines)
        if h in used or not short or not (top - pitch / 2 <= box.y0 <= top + 3 * pitch):
            continue
        overlap = {j: min(box.x1, boxes[j].x1) - max(box.x0, boxes[j].x0) for j in group}
        best = max(overlap, key=lambda j: overlap[j])
        if overlap[best] > 0:
            out.setdefault(best, []).append(h)
    for hs in out.values():
        hs.sort(key=lambda h: -boxes[h].y1)
    return out
