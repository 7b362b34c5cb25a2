"""The chat page renders answers with [n] links and quotes, and escapes everything."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag.embed import HashEmbedder
from rag.pipeline import Pipeline, build_index
from tests.conftest import hash_settings, local_client
from web.app import create_app, with_citation_links

EVIL = '<script>alert("doc")</script> <img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    src = tmp_path_factory.mktemp("evil")
    (src / "evil.txt").write_text(
        f"Evil title {EVIL}\nThe MoU with the evil firm was worth $500 million {EVIL}.\n"
    )
    settings = hash_settings(tmp_path_factory.mktemp("index"), sources=[src])
    build_index(settings, embedder=HashEmbedder())
    with local_client(create_app(settings, Pipeline.load(settings, HashEmbedder()))) as c:
        yield c


def test_empty_page_has_the_question_box(client: TestClient) -> None:
    html = client.get("/").text
    assert 'name="q"' in html and "<button" in html and "/static/app.js" in html


def test_answer_shows_links_and_quotes_escaped(client: TestClient) -> None:
    r = client.get("/", params={"q": "What was the MoU with the evil firm worth?"})
    assert r.status_code == 200
    html = r.text
    assert '<a class="cite" href="#cite-1">[1]</a>' in html
    assert 'id="cite-1"' in html and "Evil title" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_question_is_escaped(client: TestClient) -> None:
    html = client.get("/", params={"q": "<script>alert('q')</script>?"}).text
    assert "<script>alert('q')" not in html
    assert "&lt;script&gt;" in html


def test_bad_question_is_shown_as_an_error(client: TestClient) -> None:
    r = client.get("/", params={"q": "x" * 2001})
    assert r.status_code == 422 and "limit is 2000" in r.text


def test_citation_links_escape_before_linking() -> None:
    assert str(with_citation_links("<b>x</b> [2]")) == (
        '&lt;b&gt;x&lt;/b&gt; <a class="cite" href="#cite-2">[2]</a>'
    )
