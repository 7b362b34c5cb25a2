"""bench/beir.py: metric computation on hand-made qrels, and a whole run on a tiny BEIR folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import ir_measures
import pytest
from ir_measures import RR, R, nDCG

ROOT = Path(__file__).resolve().parents[2]


def test_metrics_on_known_answers() -> None:
    qrels = [
        ir_measures.Qrel("q1", "d1", 1),
        ir_measures.Qrel("q2", "d3", 1),
        ir_measures.Qrel("q2", "d4", 1),
    ]
    run = [
        ir_measures.ScoredDoc("q1", "d2", 2.0),
        ir_measures.ScoredDoc("q1", "d1", 1.0),
        ir_measures.ScoredDoc("q2", "d3", 5.0),
        ir_measures.ScoredDoc("q2", "d9", 4.0),
    ]
    per_query = {
        (m.query_id, str(m.measure)): m.value
        for m in ir_measures.iter_calc([nDCG @ 10, RR @ 10, R @ 10], qrels, run)
    }
    assert per_query[("q1", "RR@10")] == pytest.approx(0.5)
    assert per_query[("q1", "nDCG@10")] == pytest.approx(1 / 1.5849625, rel=1e-5)  # 1/log2(3)
    assert per_query[("q2", "R@10")] == pytest.approx(0.5)
    assert per_query[("q2", "RR@10")] == pytest.approx(1.0)
    # ideal DCG for q2 has two relevant docs at ranks 1 and 2
    assert per_query[("q2", "nDCG@10")] == pytest.approx(1 / (1 + 1 / 1.5849625), rel=1e-5)


def test_bench_runs_on_a_tiny_beir_folder(tmp_path: Path) -> None:
    data = tmp_path / "tiny"
    (data / "qrels").mkdir(parents=True)
    docs = {
        "d1": ("Copper mining", "Pakistan exports copper concentrate from Balochistan."),
        "d2": ("Rare earths", "Neodymium and praseodymium are rare earth elements."),
        "d3": ("Tariffs", "The United States cut tariffs on Pakistani goods to 19 percent."),
        "d4": ("Cats", "Cats sleep for most of the day."),
    }
    (data / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "title": t, "text": x}) for k, (t, x) in docs.items())
    )
    (data / "queries.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"_id": "q1", "text": "which rare earth elements"}),
                json.dumps({"_id": "q2", "text": "tariffs on Pakistani goods"}),
                json.dumps({"_id": "q3", "text": "an unjudged query"}),
            ]
        )
    )
    (data / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td3\t1\n")
    env = {**os.environ, "RAG_EMBEDDER": "hash"}
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "beir.py"),
            "--data",
            str(data),
            "--split",
            "dev",
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["queries"] == 2 and result["documents"] == 4
    assert set(result["modes"]) == {"dense", "bm25", "hybrid"}
    assert result["modes"]["bm25"]["mrr@10"] == pytest.approx(1.0)
    for row in result["modes"].values():
        assert 0.0 <= row["ndcg@10"] <= 1.0 and row["recall@100"] == pytest.approx(1.0)
    assert result["hnsw_recall@10_vs_flat"] > 0.5
    # A second run reuses the cached index.
    again = subprocess.run(out.args, env=env, capture_output=True, text=True, check=True)
    assert (
        json.loads(again.stdout.strip().splitlines()[-1])["index_build_s"]
        == result["index_build_s"]
    )
