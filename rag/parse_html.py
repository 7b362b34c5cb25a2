"""HTML to blocks: the page's main content (Sphinx and MkDocs manuals, Texinfo, Wikipedia, news
and blogs), with navigation, menus, sidebars, footers, "¶" anchors and hidden text dropped;
tables kept as rows ("JSON | Python" / "array | list"), code kept verbatim as one block.

One pass over lxml's tree with an explicit stack: linear in the number of elements, no recursion
limit, and a cap on elements and depth so that a hostile page costs bounded time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.blocks import Block, clean_line

MAX_ELEMENTS = 200_000
MAX_DEPTH = 500

_DROP_TAGS = {
    "script", "style", "noscript", "template", "nav", "footer", "form", "iframe", "svg",
    "button", "select", "input", "textarea", "head", "aside", "object", "embed", "canvas",
}  # fmt: skip
_DROP_ROLES = {"navigation", "search", "banner", "contentinfo", "complementary", "menu", "menubar"}
_DROP_CLASS = re.compile(
    r"(?:^|[\s_-])(?:sphinxsidebar\w*|related|footer|navbar|nav|navigation|menu|breadcrumbs?|"
    r"sidebar|headerlink|skip|searchbox|search|cookie|share|social|masthead|topbar|pager|"
    r"nav-panel|header|toc|printfooter|catlinks|mw-jump-link|mw-editsection|noprint|"
    r"mw-references-wrap)(?:$|[\s_-])",
    re.IGNORECASE,
)
_MAIN = (
    "//main",
    "//*[@role='main']",
    "//article",
    "//*[@id='mw-content-text']",
    "//*[@id='content']",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' body ')]",
)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "blockquote", "figure", "figcaption",
    "ul", "ol", "dl", "dt", "dd", "li", "table", "tr", "br", "hr", "center", "address", "details",
    "summary", "caption", "td", "th",
}  # fmt: skip
# What a data table's cell never holds but a page laid out in table cells does (old sites,
# libxslt's manual): such a row is walked as containers, not read as one row of cells.
_LAYOUT = {"table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "form", "blockquote"}
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$)|"
    r"color\s*:\s*(?:#fff(?:fff)?\b|white\b|transparent\b|rgba?\(\s*255\s*,\s*255\s*,\s*255)",
    re.IGNORECASE,
)


class HtmlParseError(ValueError):
    """A page over the element or depth limit."""


@dataclass
class HtmlText:
    title: str
    blocks: list[Block]
    hidden: int = 0  # elements dropped as invisible to a reader
    notes: list[str] = field(default_factory=list)


def read_html(data: bytes) -> HtmlText:
    """Blocks of the main content of an HTML page."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(data)
    except Exception as exc:  # lxml raises ParserError on an empty document
        raise HtmlParseError(f"not readable HTML ({type(exc).__name__})") from exc
    count = sum(1 for _ in tree.iter())
    if count > MAX_ELEMENTS:
        raise HtmlParseError(f"more than {MAX_ELEMENTS} HTML elements ({count})")
    title_el = tree.find(".//title")
    page_title = clean_line(title_el.text_content()) if title_el is not None else ""
    root = _main(tree)
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    walker.put_terms()
    blocks = walker.blocks
    heading = next((b.text for b in blocks if b.kind == "heading"), "")
    # the page's <title> without its site name ("Security Considerations — Flask ..."), else h1
    title = re.split(r"\s+[—|–]\s+|\s+-\s+", page_title)[0] or page_title or heading
    out = HtmlText(title, blocks, walker.hidden)
    if walker.hidden:
        out.notes.append(f"dropped {walker.hidden} hidden element(s): text a reader cannot see")
    return out


def _main(tree: Any) -> Any:
    for query in _MAIN:
        found = [el for el in tree.xpath(query) if len(el.text_content().strip()) > 200]
        if found:
            return max(found, key=lambda el: len(el.text_content()))
    body = tree.find(".//body")
    return body if body is not None else tree


def _skipped(el: Any) -> str:
    """ "" when the element is kept, "noise" for chrome, "hidden" for invisible text."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if not tag or tag in _DROP_TAGS:
        return "noise"
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return "hidden"
    if _HIDDEN_STYLE.search(el.get("style") or ""):
        return "hidden"
    if el.get("role") in _DROP_ROLES:
        return "noise"
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    if names.strip() and _DROP_CLASS.search(names) and tag not in {"main", "article", "body"}:
        return "noise"
    if tag == "sup" and "reference" in names:  # Wikipedia's "[12]" citation marks
        return "noise"
    return ""


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.inline: list[str] = []
        self.hidden = 0
        # A definition list's terms waiting for their definition ("%e" for "Elapsed time in
        # seconds."): read apart, neither says what the other is.
        self.terms: list[str] = []

    def flush(self, kind: str = "paragraph") -> None:
        text = clean_line("".join(self.inline))
        self.inline.clear()
        if not text:
            return
        if self.terms and kind in {"paragraph", "item"}:
            term = ", ".join(self.terms)
            self.terms.clear()
            text = f"{term} {text}" if term.endswith((":", ".", "?", "!")) else f"{term}: {text}"
        self.put_terms()
        self.blocks.append(Block(kind, text))

    def put_terms(self) -> None:
        """Terms with no paragraph to join (a definition that is a code block or a table): a
        paragraph of their own."""
        if self.terms:
            self.blocks.append(Block("paragraph", ", ".join(self.terms)))
            self.terms.clear()

    def walk(self, root: Any) -> None:
        stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
        while stack:
            el, depth, closing = stack.pop()
            if closing:
                self._close(el)
                continue
            if depth > MAX_DEPTH:
                raise HtmlParseError(f"HTML nested deeper than {MAX_DEPTH} elements")
            why = _skipped(el) if el is not root else ""
            if why:
                self.hidden += why == "hidden"
                if el.tail:
                    self.inline.append(el.tail)
                continue
            tag = el.tag
            if tag in {"td", "th"} and _link_list(el):
                continue  # a layout table's menu cell (reached only inside a layout row)
            if tag in _HEADINGS or tag == "pre" or (tag == "tr" and not _layout_row(el)):
                self.flush()
                self.put_terms()
                self._leaf(el, tag)
                if el.tail:
                    self.inline.append(el.tail)
                continue
            if tag in _BLOCK_TAGS:
                self.flush()
            if el.text:
                self.inline.append(el.text)
            stack.append((el, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(el))

    def _close(self, el: Any) -> None:
        tag = el.tag
        if tag == "dt":
            # Texinfo writes ": isinteger (x) ¶"; the anchor and the category mark go.
            term = clean_line("".join(self.inline)).rstrip("¶ ").removeprefix(": ").strip()
            self.inline.clear()
            if term:
                self.terms.append(term)
        elif tag in _BLOCK_TAGS:
            self.flush("item" if tag == "li" else "paragraph")
            if tag == "dl":
                self.put_terms()
        if el.tail:
            self.inline.append(el.tail)

    def _leaf(self, el: Any, tag: str) -> None:
        if tag == "pre":
            # no "copy" button, no hidden spans; Node.js's manual sets the same example twice in
            # one <pre>, as two <code> (ES module and CommonJS): a blank line between them.
            parts = [c for c in el if c.tag == "code"]
            whole = [_visible_text(c) for c in parts] if len(parts) > 1 else [_visible_text(el)]
            code = "\n\n".join(p.strip("\n").rstrip() for p in whole)
            if code.strip():
                self.blocks.append(Block("code", code.replace("\r\n", "\n").expandtabs(4)))
            return
        if tag == "tr":
            cells = [
                clean_line(_visible_text(c))
                for c in el
                if isinstance(c.tag, str) and c.tag in {"td", "th"}
            ]
            cells = [c for c in cells if c]
            if cells:
                self.blocks.append(Block("row", " | ".join(cells)))
            return
        text = clean_line(_visible_text(el)).rstrip("¶#").strip()
        if text:
            self.blocks.append(Block("heading", text))


def _layout_row(tr: Any) -> bool:
    """A row of page layout, not of data: a cell holds a nested table, a heading, a list or a
    form, or the row's only cell holds paragraphs (a box drawn around a note or a page)."""
    cells = [c for c in tr if isinstance(c.tag, str) and c.tag in {"td", "th"}]
    tags = _LAYOUT | {"p", "div", "pre"} if len(cells) == 1 else _LAYOUT
    # stops at the first such element: a nested layout table is found at once, not rescanned
    return any(d.tag in tags for c in cells for d in c.iterdescendants() if isinstance(d.tag, str))


def _link_list(cell: Any) -> bool:
    """A cell that is a list of links (a menu): three links or more holding most of its text,
    or all of it but a few labels ("Main Menu")."""
    links = cell.findall(".//a")
    text = len(re.sub(r"\s+", " ", cell.text_content()).strip())
    linked = sum(len(re.sub(r"\s+", " ", a.text_content()).strip()) for a in links)
    unlinked = text - linked
    return len(links) >= 3 and (linked >= 0.8 * text or (unlinked <= 60 and linked >= 2 * unlinked))


def _visible_text(el: Any) -> str:
    """Text of an element without its dropped descendants ("¶" links, hidden spans)."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            if node.tail and node is not el:
                parts.append(node.tail)
            continue
        if node is not el and _skipped(node):
            if node.tail:
                parts.append(node.tail)
            continue
        if node.text:
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(parts)
