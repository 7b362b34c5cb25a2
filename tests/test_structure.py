"""The code keeps the shape docs/architecture.md describes: imports run one way, from the stages
that read files up to the ones that answer; the pipeline reads as its steps; no function is too
long to read at once."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

RAG = ROOT / "rag"
# Lower stages never import higher ones (a module may import its own stage and any lower one).
STAGES = {
    "base": {"config", "errors", "types", "text", "onnx_threads"},
    "ingest": {"blocks", "parse", "parse_pdf", "parse_html", "ocr", "isolate", "ingest", "chunk"}
    | {"pdf_tables", "pdf_lines"},
    "index": {"embed", "embed_onnx", "lexical", "store", "milvus", "indexer", "distributed"}
    | {"weight_delta"},
    "answer": {"question", "values", "retrieve", "rank", "answerability", "cite", "injection"}
    | {"conflicts", "judge", "prompt", "rewrite", "generate", "generators", "policy", "steps"}
    | {"validate", "feedback", "unseen"},
    "pipeline": {"pipeline"},
    "entry": {"cli", "__init__", "__main__"},
}
ORDER = list(STAGES)


def _stage(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, s in enumerate(ORDER) if top in STAGES[s])


def _modules() -> list[Path]:
    return sorted(p for p in RAG.rglob("*.py") if "models" not in p.parts)


def test_every_module_has_a_stage() -> None:
    for path in _modules():
        _stage(".".join(path.relative_to(RAG).with_suffix("").parts))


def test_imports_run_from_lower_stages_to_higher_ones() -> None:
    wrong = []
    for path in _modules():
        name = ".".join(path.relative_to(RAG).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports for type annotations only (`if TYPE_CHECKING:`) do not run.
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for n in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rag."):
                target = node.module.removeprefix("rag.")  # type: ignore[union-attr]
            elif isinstance(node, ast.ImportFrom) and node.module == "rag":
                target = node.names[0].name
            else:
                continue
            if _stage(target) > _stage(name):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_backend_imports_its_registry() -> None:
    for path in (RAG / "generators").glob("*.py"):
        assert "from rag.generate import" not in path.read_text(encoding="utf-8"), path.name


def test_the_pipeline_reads_as_its_steps() -> None:
    source = (RAG / "pipeline.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 250
    stream = next(
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.FunctionDef) and n.name == "stream"
    )
    assert stream.end_lineno is not None and stream.end_lineno - stream.lineno + 1 <= 40


def test_no_function_is_over_60_lines() -> None:
    long = []
    for path in _modules():
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_function = isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and n.end_lineno and n.end_lineno - n.lineno + 1 > 60:
                long.append(f"{path.name}:{n.name}")
    assert long == []
