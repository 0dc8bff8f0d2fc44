"""The benchmark harness: result schema, markdown rendering, running a benchmark module, the CLI.

These run no benchmark and time nothing: a fake benchmark module stands in for a real one.
"""

import copy
import io
import json
import math
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import OURS, harness, render, schema  # noqa: E402
from benchmarks.__main__ import main, parse  # noqa: E402

ANCHOR = "the anchor"
MACHINE = {"cpu_model": "Test CPU", "cores": 2, "memory_bytes": 2**34, "kernel": "6.1.0", "python": "3.11.7"}


def sample():
    return {
        "benchmark": "fake",
        "date": "2025-01-02T03:04:05+00:00",
        "machine": dict(MACHINE),
        "cases": [
            {"case": "one", "system": OURS, "metrics": {"http_requests": 2, "median_ms": 1.5}},
            {"case": "one", "system": ANCHOR, "metrics": {"http_requests": 4, "median_ms": 3.0}},
            {"case": "two", "system": OURS, "metrics": {"http_requests": 0, "median_ms": 2.25}},
            {"case": "two", "system": ANCHOR, "metrics": {"http_requests": 0}},
        ],
    }


def fake_module(cases=None, fail=False):
    module = types.ModuleType("bench_fake")
    module.NAME = "fake"
    module.DESCRIPTION = "A fake benchmark for the harness tests."
    module.ANCHOR = {"name": ANCHOR, "why": "it is what we compete with"}

    def run():
        if fail:
            raise RuntimeError("the benchmark broke")
        return copy.deepcopy(sample()["cases"] if cases is None else cases)

    module.run = run
    return module


# -- schema ------------------------------------------------------------------------------------


def test_a_well_formed_result_is_valid():
    assert schema.problems(sample(), systems={OURS, ANCHOR}) == []
    schema.validate(sample())


@pytest.mark.parametrize("key", schema.TOP_KEYS)
def test_a_result_without_a_top_level_key_is_rejected(key):
    result = sample()
    del result[key]
    with pytest.raises(schema.InvalidResult, match=repr(key)):
        schema.validate(result)


@pytest.mark.parametrize("key", schema.CASE_KEYS)
def test_a_case_without_a_key_is_rejected(key):
    result = sample()
    del result["cases"][1][key]
    with pytest.raises(schema.InvalidResult, match=r"cases\[1\]"):
        schema.validate(result)


@pytest.mark.parametrize("key", sorted(schema.MACHINE_KEYS))
def test_a_machine_without_a_key_is_rejected(key):
    result = sample()
    del result["machine"][key]
    with pytest.raises(schema.InvalidResult, match="machine"):
        schema.validate(result)


@pytest.mark.parametrize("value", ["12", None, True, math.nan, math.inf, [1], {"ms": 1}])
def test_a_metric_that_is_not_a_finite_number_is_rejected(value):
    result = sample()
    result["cases"][0]["metrics"]["median_ms"] = value
    with pytest.raises(schema.InvalidResult, match="median_ms"):
        schema.validate(result)


@pytest.mark.parametrize("value", [1, None, ["x"], {"name": OURS}, ""])
def test_a_system_that_is_not_a_name_is_rejected(value):
    result = sample()
    result["cases"][0]["system"] = value
    with pytest.raises(schema.InvalidResult, match="system"):
        schema.validate(result)


def test_a_system_other_than_ours_or_the_anchor_is_rejected():
    result = sample()
    result["cases"][1]["system"] = "someone else"
    assert schema.problems(result) == []  # without the allowed set, any name will do
    with pytest.raises(schema.InvalidResult, match="someone else"):
        schema.validate(result, systems={OURS, ANCHOR})


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.update(date="2025-01-02 03:04"),
        lambda r: r.update(date="2025-01-02T03:04:05+02:00"),
        lambda r: r.update(date="yesterday"),
        lambda r: r.update(extra=1),
        lambda r: r.update(cases=[]),
        lambda r: r.update(benchmark=""),
        lambda r: r["machine"].update(cores="2"),
        lambda r: r["machine"].update(cores=True),
        lambda r: r["machine"].update(gpu="none"),
        lambda r: r["cases"][0].update(metrics={}),
        lambda r: r["cases"][0].update(notes="x"),
        lambda r: r["cases"].append(copy.deepcopy(r["cases"][0])),
    ],
    ids=[
        "date-no-zone",
        "date-not-utc",
        "date-not-iso",
        "extra-key",
        "no-cases",
        "empty-name",
        "cores-text",
        "cores-bool",
        "machine-extra",
        "no-metrics",
        "case-extra",
        "duplicate",
    ],
)
def test_other_malformed_results_are_rejected(mutate):
    result = sample()
    mutate(result)
    assert schema.problems(result)


def test_a_result_that_is_not_an_object_is_rejected():
    assert schema.problems([sample()])
    assert schema.problems({**sample(), "cases": "one"})
    assert schema.problems({**sample(), "machine": "Test CPU, 2 cores"})


# -- rendering ----------------------------------------------------------------------------------


def test_the_table_has_a_column_per_system_and_a_ratio():
    lines = render.table(sample()["cases"]).splitlines()
    head = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert head == [
        "case",
        f"http_requests: {OURS}",
        f"http_requests: {ANCHOR}",
        f"http_requests: ratio vs {ANCHOR}",
        f"median_ms: {OURS}",
        f"median_ms: {ANCHOR}",
        f"median_ms: ratio vs {ANCHOR}",
    ]
    rows = {
        line.strip("|").split("|")[0].strip(): [c.strip() for c in line.strip("|").split("|")] for line in lines[2:]
    }
    assert rows["one"] == ["one", "2", "4", "0.50", "1.50", "3", "0.50"]
    # 0 vs 0 is a tie; a metric the anchor lacks has no value and no ratio.
    assert rows["two"] == ["two", "0", "0", "1.00", "2.25", "—", "—"]
    assert len(lines) == 4 and set(lines[1]) == {"|", "-"}


def test_the_page_says_it_is_generated_and_describes_each_benchmark():
    info = {"description": "What it measures.", "anchor": {"name": ANCHOR, "why": "because"}}
    page = render.markdown([sample()], {"fake": info})
    assert "Do not edit by hand" in page and "make bench" in page
    for text in ("## fake", "What it measures.", f"{ANCHOR} — because", "Test CPU, 2 cores, 16.0 GiB", "6.1.0"):
        assert text in page
    assert "2025-01-02T03:04:05+00:00" in page
    assert render.table(sample()["cases"]) in page


# -- harness -----------------------------------------------------------------------------------


def run_fake(tmp_path, module):
    out = io.StringIO()
    status = harness.run(
        ["fake"], results_dir=tmp_path / "results", docs_path=tmp_path / "docs.md", loader=lambda name: module, out=out
    )
    return status, out.getvalue()


def test_running_a_benchmark_writes_a_valid_result_and_the_docs(tmp_path):
    status, log = run_fake(tmp_path, fake_module())
    assert status == 0, log
    result = json.loads((tmp_path / "results" / "fake.json").read_text())
    schema.validate(result, systems={OURS, ANCHOR})
    assert result["benchmark"] == "fake" and result["cases"] == sample()["cases"]
    assert set(result["machine"]) == set(schema.MACHINE_KEYS) and result["machine"]["cores"] >= 1
    assert result["date"].endswith("+00:00")
    page = (tmp_path / "docs.md").read_text()
    assert "A fake benchmark for the harness tests." in page and f"median_ms: ratio vs {ANCHOR}" in page
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["fake.json"]  # no temp files left


@pytest.mark.parametrize(
    "module",
    [
        fake_module(fail=True),
        fake_module(cases=[{"case": "one", "system": OURS, "metrics": {"median_ms": "fast"}}]),
        fake_module(cases=[c for c in sample()["cases"] if c["system"] == OURS]),  # no anchor measured
        fake_module(cases=[{**c, "system": "other"} if c["system"] == ANCHOR else c for c in sample()["cases"]]),
    ],
    ids=["raises", "malformed", "ours-only", "unknown-system"],
)
def test_a_failed_benchmark_exits_non_zero_and_keeps_the_previous_result(tmp_path, module):
    previous = tmp_path / "results" / "fake.json"
    previous.parent.mkdir()
    previous.write_text(json.dumps(sample()))
    status, log = run_fake(tmp_path, module)
    assert status == 1
    assert "FAILED" in log
    assert json.loads(previous.read_text()) == sample()
    assert sorted(p.name for p in previous.parent.iterdir()) == ["fake.json"]


def test_rendering_refuses_a_result_file_that_breaks_the_schema(tmp_path):
    broken = sample()
    del broken["machine"]
    (tmp_path / "fake.json").write_text(json.dumps(broken))
    with pytest.raises(schema.InvalidResult, match=r"fake\.json"):
        harness.regenerate_docs(tmp_path, tmp_path / "docs.md", loader=lambda name: fake_module())
    assert not (tmp_path / "docs.md").exists()


def test_every_benchmark_module_loads_with_what_the_harness_needs():
    assert "imds" in harness.names()
    for name in harness.names():
        module = harness.load(name)
        assert module.ANCHOR["name"] != OURS


def test_the_cli_needs_either_all_or_names(capsys):
    for argv in (["run"], ["run", "--all", "imds"]):
        with pytest.raises(SystemExit):
            parse(argv)
    assert parse(["run", "--all"]).all
    assert parse(["run", "imds", "--results-dir", "/tmp/x"]).results_dir == Path("/tmp/x")
    assert main(["run", "no_such_benchmark"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_the_committed_docs_are_generated_from_the_committed_results(tmp_path):
    """docs/benchmarks.md is never typed by hand: regenerating it changes nothing."""
    for path in sorted(harness.RESULTS_DIR.glob("*.json")):
        schema.validate(json.loads(path.read_text()))
    harness.regenerate_docs(harness.RESULTS_DIR, tmp_path / "benchmarks.md")
    assert harness.DOCS_PATH.read_text() == (tmp_path / "benchmarks.md").read_text()
