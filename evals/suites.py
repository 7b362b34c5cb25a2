"""Eval suites: a corpus plus gold questions, each question in a `dev` or a `test` split.

- `seeds`: the five shipped articles and `evals/gold.jsonl` (its `split` field).
- `realdocs`: thirteen real files from Debian's documentation packages (seven PDF, one of them
  with no Unicode map, six HTML manual pages) in `evals/realdocs/docs/`, and
  `evals/realdocs/gold.jsonl` (written before any run); the split is by document: eight dev files,
  five test files.
- `squad2`: eight Wikipedia articles of SQuAD 2.0 (`../shared/bench/squad2/`), one document per
  article, every question asked against the index of all eight. Two whole articles are the test
  split (nothing is tuned on them); the other six are dev.

A suite's index is built once into `<cache>/<suite>-<fingerprint>/` and reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.harness import DEFAULT_GOLD, load_gold
from rag.config import Settings
from rag.errors import InvalidInputError
from rag.ingest import load_documents
from rag.types import Document

ROOT = Path(__file__).resolve().parent.parent
SUITES = ("seeds", "squad2", "realdocs")
REALDOCS = ROOT / "evals" / "realdocs"
SQUAD2_DEFAULT = ROOT.parent / "shared" / "bench" / "squad2" / "dev-articles-0-7.json"
# Held out: chosen before any tuning, one technical and one institutional article.
SQUAD2_TEST_ARTICLES = ("Steam_engine", "Harvard_University")


@dataclass(frozen=True)
class Suite:
    """Documents to index and gold questions (the gold.jsonl schema plus `split`)."""

    name: str
    documents: list[Document]
    items: list[dict[str, Any]]

    def select(self, split: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Questions of one split (all when None), the first `limit` of an even-strided sample."""
        items = [i for i in self.items if split is None or i["split"] == split]
        if limit is not None and limit < len(items):
            # A fixed stride, not the first N: every article and kind stays represented.
            step = len(items) / limit
            items = [items[int(j * step)] for j in range(limit)]
        return items

    def fingerprint(self) -> str:
        """Hash of the documents: a changed corpus gets a fresh index."""
        digest = hashlib.sha256()
        for doc in self.documents:
            digest.update(f"{doc.doc_id}\0{doc.title}\0{doc.text}\0".encode())
            if doc.blocks:  # the structure parsers add (none for SQuAD and the seeds)
                digest.update(f"{doc.blocks}\0".encode())
        return digest.hexdigest()[:12]


def squad2_path() -> Path:
    """Where the SQuAD 2.0 articles are: `RAG_SQUAD2_PATH`, else `../shared/bench/squad2/`."""
    return Path(os.environ.get("RAG_SQUAD2_PATH", SQUAD2_DEFAULT))


def doc_id_of(title: str) -> str:
    """A stable document id for a SQuAD article title."""
    return title.lower().replace(" ", "_")


def squad2_documents(data: dict[str, Any]) -> tuple[list[Document], dict[str, list[int]]]:
    """One Document per article (title, blank line, paragraphs) and each paragraph's offset."""
    docs, offsets = [], {}
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        text, starts = title, []
        for para in article["paragraphs"]:
            text += "\n\n"
            starts.append(len(text))
            text += para["context"]
        doc_id = doc_id_of(article["title"])
        docs.append(Document(doc_id, title, text, f"squad2:{article['title']}"))
        offsets[doc_id] = starts
    return docs, offsets


def squad2_items(
    data: dict[str, Any], offsets: dict[str, list[int]] | None = None
) -> list[dict[str, Any]]:
    """Gold items: answerable questions keep every distinct gold span; `start` gives the
    document offset of the first one (training data uses it to find the answering sentence)."""
    offsets = offsets if offsets is not None else squad2_documents(data)[1]
    items = []
    for article in data["data"]:
        doc_id = doc_id_of(article["title"])
        split = "test" if article["title"] in SQUAD2_TEST_ARTICLES else "dev"
        for p_no, para in enumerate(article["paragraphs"]):
            base = offsets[doc_id][p_no]
            for qa in para["qas"]:
                impossible = bool(qa.get("is_impossible"))
                spans = qa.get("plausible_answers" if impossible else "answers") or []
                items.append(
                    {
                        "id": f"squad2-{qa['id']}",
                        "kind": "unanswerable" if impossible else "factoid",
                        "question": qa["question"].strip(),
                        "answers": [] if impossible else sorted({a["text"] for a in spans}),
                        "sources": [] if impossible else [doc_id],
                        "split": split,
                        "doc_id": doc_id,
                        "start": base + spans[0]["answer_start"] if spans else None,
                        "span": spans[0]["text"] if spans else None,
                    }
                )
    return items


def load_suite(name: str, squad2: Path | None = None) -> Suite:
    """The named suite with all its questions; a clear error for an unknown name or file."""
    if name == "seeds":
        items = load_gold(DEFAULT_GOLD)
        for item in items:
            item.setdefault("split", "dev")
        return Suite("seeds", load_documents([ROOT / "seeds"]), items)
    if name == "realdocs":
        items = load_gold(REALDOCS / "gold.jsonl")
        return Suite("realdocs", load_documents([REALDOCS / "docs"]), items)
    if name == "squad2":
        path = squad2 or squad2_path()
        if not path.is_file():
            raise InvalidInputError(
                f"SQuAD 2.0 articles not found at {path}: set RAG_SQUAD2_PATH to the JSON file"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        docs, offsets = squad2_documents(data)
        return Suite("squad2", docs, squad2_items(data, offsets))
    raise InvalidInputError(f"suite must be one of {', '.join(SUITES)}, got {name!r}")


def suite_settings(settings: Settings, suite: Suite, cache: Path | None = None) -> Settings:
    """Settings whose index is the suite's own, built on first use (seeds: the settings' own
    index when it already indexes the seeds)."""
    from rag.pipeline import index_documents

    folder = (cache or settings.index_dir / "suites") / f"{suite.name}-{suite.fingerprint()}"
    scoped = settings.model_copy(update={"index_dir": folder})
    if not (scoped.current_index / "manifest.json").exists():
        index_documents(scoped, suite.documents, sources=[f"suite:{suite.name}"])
    return scoped
