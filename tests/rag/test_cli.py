import json
from pathlib import Path

import pytest

from rag.cli import main
from tests.conftest import HASH_MIN_ANSWER_SCORE, SEEDS


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAG_EMBEDDER", "hash")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_MIN_ANSWER_SCORE", str(HASH_MIN_ANSWER_SCORE))
    monkeypatch.setenv("RAG_LLM_BACKEND", "extractive")
    monkeypatch.setenv("RAG_SCORER", "none")
    return tmp_path


def test_index_then_ask_json(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(SEEDS)]) == 0
    assert "indexed 5 documents" in capsys.readouterr().out
    assert main(["ask", "What was the value of the USSM MoU?", "--json", "-k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["backend"] == "extractive" and len(data["retrieved"]) == 3


def test_ask_text_output_lists_quotes(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["index", str(SEEDS)])
    capsys.readouterr()
    assert main(["ask", "What was the value of the USSM MoU?"]) == 0
    out = capsys.readouterr().out
    assert "[1]" in out and "“" in out and "extractive" in out


def test_ask_without_index_says_how_to_build(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "anything?"]) == 2
    assert "rag index" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "  "], "question is empty"),
        (["ask", "ok?", "-k", "0"], "k must be"),
        (["index", "/no/such/folder"], "not found"),
        (["eval", "--gold", "/no/such.jsonl"], "gold file not found"),
    ],
)
def test_bad_input_exits_non_zero(
    env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    main(["index", str(SEEDS)])
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_setting_exits_non_zero(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_TOP_K", "zero")
    assert main(["ask", "x?"]) == 2
    assert "configuration error" in capsys.readouterr().err


def test_eval_prints_metrics(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["index", str(SEEDS)])
    capsys.readouterr()
    assert main(["eval", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] >= 20 and "per_kind" in report
    assert main(["eval"]) == 0
    assert "retrieval hit@k" in capsys.readouterr().out


def test_eval_on_a_suite_split_with_a_limit(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--suite", "seeds", "--split", "test", "--limit", "6", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 6
    assert report["citation_exact"] in (None, 1.0)
    assert {"overall", "abstention_accuracy", "false_abstention_rate"} <= set(report)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--suite", "seeds", "--limit", "0"], "--limit must be at least 1"),
        (["eval", "--suite", "seeds", "--gold", "x.jsonl"], "not both"),
        (["eval", "--suite", "squad2"], "RAG_SQUAD2_PATH"),
    ],
)
def test_eval_suite_bad_input(
    env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("RAG_SQUAD2_PATH", str(env / "missing.json"))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _rows(confidences: list[tuple[str, float, bool]]) -> list[dict[str, object]]:
    return [
        {"suite": "squad2", "kind": k, "abstained": False, "confidence": c, "answer_has_gold": g}
        for k, c, g in confidences
    ]


def test_calibrate_pools_rows_of_two_held_out_articles(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One article alone would pick a low threshold, the other a high one; pooled, the sweep
    # counts all four questions.
    a, b = env / "a.json", env / "b.json"
    a.write_text(json.dumps(_rows([("factoid", 0.12, True), ("unanswerable", 0.06, False)])))
    b.write_text(json.dumps(_rows([("factoid", 0.9, True), ("unanswerable", 0.4, False)])))
    assert main(["calibrate", "--pool", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    squad = lines[lines.index("-- squad2 (4 questions)") + 1 :]
    by_threshold = {line.split()[0]: line.split()[1:] for line in squad[:19]}
    assert by_threshold["0.10"] == ["0.750", "1.000", "0.500", "0.667"]
    assert by_threshold["0.45"] == ["0.750", "0.500", "1.000", "1.000"]
    assert by_threshold["0.95"] == ["0.500", "0.000", "1.000", "0.000"]


def test_calibrate_counts_each_held_out_suite_alike(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Four SQuAD questions and one realdocs question: the held-out rule averages the two
    # suites' overall, so the lone manual question weighs as much as the four.
    rows = _rows([("factoid", 0.5, True)] * 2 + [("unanswerable", 0.3, False)] * 2)
    rows.append({**rows[0], "suite": "realdocs", "confidence": 0.8})
    a = env / "a.json"
    a.write_text(json.dumps(rows))
    assert main(["calibrate", "--pool", str(a)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-- held-out"))
    by_threshold = {line.split()[0]: line.split()[1:3] for line in lines[start + 1 : start + 20]}
    assert by_threshold["0.40"] == ["1.000", "1.000"]  # SQuAD 4/4, realdocs 1/1
    assert by_threshold["0.60"] == ["0.750", "0.500"]  # SQuAD 2/4, realdocs 1/1
    assert by_threshold["0.85"] == ["0.250", "0.000"]  # SQuAD 2/4, realdocs 0/1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read calibration rows"),
        ('{"rows": []}', "is not a list of `rag calibrate --out` rows"),
        ('[{"kind": "factoid"}]', "is not a list of `rag calibrate --out` rows"),
    ],
)
def test_calibrate_pool_of_a_bad_file_exits_2(
    env: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = env / "bad.json"
    bad.write_text(content)
    assert main(["calibrate", "--pool", str(bad)]) == 2
    assert message in capsys.readouterr().err
    assert main(["calibrate", "--pool", str(bad), "--out", str(env / "o.json")]) == 2
    assert "give it no --out" in capsys.readouterr().err
