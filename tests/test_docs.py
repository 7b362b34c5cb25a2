"""README and docs/ stay true: every setting documented, every link resolving, every `rag`
command in them accepted by the real command-line parser, every `make` target real."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from rag.cli import _parser
from rag.config import Settings
from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_readme_is_read_in_five_minutes() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_every_setting_is_in_the_configuration_page() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [f"RAG_{name.upper()}" for name in Settings.model_fields]
    missing = [v for v in missing if f"`{v}`" not in page]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name} links to {target}, which does not exist"


def _commands(text: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    joined = [block.replace("\\\n", " ") for block in blocks]  # continuation lines
    return [line.strip() for block in joined for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_rag_command_in_the_docs_is_accepted(page: Path) -> None:
    """Each `rag …` line parses with the real parser (flags and choices exist)."""
    for line in _commands(page.read_text(encoding="utf-8")):
        argv = shlex.split(line, comments=True)
        while argv and "=" in argv[0] and not argv[0].startswith("-"):
            argv = argv[1:]  # VAR=value before the command
        if not argv or not argv[0].endswith("rag") or argv[0].endswith("/rag_"):
            continue
        try:
            _parser().parse_args(argv[1:])
        except SystemExit as exc:  # argparse's way to refuse
            raise AssertionError(f"{page.name}: `{line}` is refused by the parser") from exc


def test_every_make_target_named_in_the_readme_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([a-z][\w-]*)", (ROOT / "README.md").read_text()))
    assert named and named <= targets, named - targets
