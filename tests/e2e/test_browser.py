"""The chat page in a real headless Chromium (Debian's, via Playwright) against `rag serve`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.config import Settings
from rag.pipeline import build_index
from tests.conftest import ROOT, SEEDS
from tests.servers import rag_server

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"  # installed by `make test` (apt package `chromium`)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EVIL = "Evil Corp <script>alert('doc')</script> <img src=x onerror=\"alert(1)\">"
TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    src = tmp_path_factory.mktemp("corpus")
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, src / f.name)
    (src / "zz_evil.txt").write_text(
        f"Zorblax memo {EVIL}\n{EVIL} signed a $7 million deal with the Zorblax ministry.\n"
        # U+2028/U+2029 are line terminators to JavaScript: they once broke the stream parser.
        "The Zorblax ministry\u2028paid the first $2 million\u2029 tranche in March.\n"
    )
    index_dir = tmp_path_factory.mktemp("index")
    settings = Settings(
        embedder="minilm", index_dir=index_dir, sources=[src], llm_backend="extractive"
    )
    build_index(settings)
    env = {
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_EMBEDDER": "minilm",
        "RAG_LLM_BACKEND": "extractive",
        "RAG_DATA_DIR": str(index_dir / "data"),
    }
    with rag_server(env) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make test` (it installs it)"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def new_page(browser: Any, dialogs: list[str], width: int = 1200) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page


def ask(page: Any, question: str, nth: int) -> Any:
    page.fill("#q", question)
    page.press("#q", "Enter")  # keyboard: Enter sends
    answer = page.locator(".turn .answer.done").nth(nth)
    answer.wait_for()
    return answer


def test_ask_click_citation_then_follow_up(site: str, browser: Any) -> None:
    dialogs: list[str] = []
    page = new_page(browser, dialogs)
    page.goto(site)
    answer = ask(page, "What was the value of the USSM MoU?", 0)
    assert "500 million" in answer.locator(".answer-text").inner_text()
    assert "answered by extractive" in answer.locator(".backend").inner_text()
    chip = answer.locator(".answer-text .chip").first
    n = chip.get_attribute("data-n")
    quote = answer.locator(f"ol.citations li[value='{n}'] blockquote").inner_text()
    chip.click()
    mark = page.locator("#viewer #highlight")
    mark.wait_for()
    assert mark.inner_text() == quote
    assert mark.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answered.png"), full_page=True)
    # README's picture, remade by every run so that it shows the page as it is.
    page.screenshot(path=str(ROOT / "docs" / "chat.png"))
    # The short answer first, copied from the cited sentence; the quote under it.
    assert "$500 million" in answer.locator(".short-answer").inner_text()

    second = ask(page, "And who attended?", 1)
    assert "about: value USSM MoU" in second.locator(".rewritten").inner_text()
    assert second.locator(".answer-text").inner_text().strip()
    second.locator(".feedback button").first.click()
    page.locator(".feedback button.sent").first.wait_for()
    assert dialogs == []


def test_hostile_document_text_is_shown_as_text(site: str, browser: Any) -> None:
    dialogs: list[str] = []
    page = new_page(browser, dialogs, width=400)  # a narrow screen, too
    page.goto(site)
    answer = ask(page, "What deal did Evil Corp sign with the Zorblax ministry?", 0)
    assert "<script>alert('doc')</script>" in answer.locator(".answer-text").inner_text()
    assert answer.locator("script, img").count() == 0
    answer.locator(".answer-text .chip").first.click()
    page.locator("#viewer #highlight").wait_for()
    assert '<img src=x onerror="alert(1)">' in page.locator("#viewer-text").inner_text()
    assert page.locator("#viewer img, #viewer script").count() == 0
    page.goto(f"{site}/documents/zz_evil")
    assert "<script>alert('doc')</script>" in page.locator("#doc-text").inner_text()
    assert page.locator("#doc-text img").count() == 0
    assert dialogs == []


def test_line_separators_in_documents_and_questions_render(site: str, browser: Any) -> None:
    console: list[str] = []
    page = new_page(browser, [])
    page.on("console", lambda m: console.append(m.text))
    page.goto(site)
    answer = ask(page, "How much did the Zorblax\u2028ministry pay in the first tranche?", 0)
    text = answer.locator(".answer-text").inner_text()
    assert "2 million" in text
    assert not [m for m in console if "Content Security Policy" in m or "SyntaxError" in m]


def test_bad_input_shows_an_error_not_a_crash(site: str, browser: Any) -> None:
    page = new_page(browser, [])
    page.goto(site)
    page.evaluate("document.getElementById('q').removeAttribute('maxlength')")
    ask(page, "x" * 2001, 0)
    assert "at most 2000 characters" in page.locator(".answer.error").inner_text()


def test_upload_ask_and_delete_from_the_pages(site: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.on("dialog", lambda d: d.accept())  # the delete confirmation
    page.goto(f"{site}/documents")
    note = tmp_path / "quarry-memo.txt"
    note.write_text("Quarry memo\n\nThe Brennet quarry employs 318 workers.\n")
    page.set_input_files("#upload-files", str(note))
    page.click("#upload-form button[type=submit]")
    page.locator("#upload-status", has_text="Added quarry-memo").wait_for()
    page.locator("text=Quarry memo").first.wait_for()  # listed after the reload
    page.goto(site)
    answer = ask(page, "How many workers does the Brennet quarry employ?", 0)
    assert "318" in answer.locator(".answer-text").inner_text()
    page.goto(f"{site}/documents")
    page.click("button.delete[data-doc-id='quarry-memo']")
    page.locator("#upload-status", has_text="Deleted quarry-memo").wait_for()
    page.wait_for_timeout(1500)  # the page reloads
    assert page.locator("button.delete[data-doc-id='quarry-memo']").count() == 0
