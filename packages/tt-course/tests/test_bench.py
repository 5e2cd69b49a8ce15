"""tinytorch bench compare on saved runs that the tests write in pytest-benchmark's format."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from tinytorch.course.bench import (
    BenchError,
    compare,
    format_bytes,
    format_seconds,
    load_runs,
    plot,
    resolve_runs,
    run_benchmarks,
)
from tinytorch.course.cli import main

MACHINE = "Linux-CPython-3.11-64bit"


def bench(fullname: str, median: float, peak: int | None, busy: float = 0.0) -> dict[str, Any]:
    extra: dict[str, Any] = {"role": "tinytorch", "others_cpu_share": busy}
    if peak is not None:
        extra["peak_memory_bytes"] = peak
    name = fullname.split("::")[1]
    return {
        "group": None,
        "name": name,
        "fullname": fullname,
        "params": None,
        "param": None,
        "extra_info": extra,
        "options": {},
        "stats": {"min": median / 2, "max": median * 2, "mean": median * 1.1, "median": median, "rounds": 5},
    }


def save_run(folder: Path, stem: str, benchmarks: list[dict[str, Any]], node: str = "vm") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.json"
    run = {
        "machine_info": {"node": node, "cpu": {"brand_raw": "AMD EPYC", "count": 2}, "numpy_threads": 2},
        "commit_info": {"id": "0123456789abcdef", "dirty": True},
        "benchmarks": benchmarks,
        "datetime": "2026-11-25T16:24:14.976564+00:00",
        "version": "5.3.1",
    }
    path.write_text(json.dumps(run))
    return path


MATMUL = "benchmarks/bench_core.py::test_matmul_tinytorch"
ADAM = "benchmarks/bench_train.py::test_adam_step_tinytorch"


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    store = tmp_path / ".benchmarks"
    save_run(store / MACHINE, "0001_alice", [bench(MATMUL, 0.010, 4_000_000), bench(ADAM, 0.002, 8 * 2**20)])
    save_run(
        store / MACHINE, "0002_bob", [bench(MATMUL, 0.025, 12_000_000, busy=0.3), bench(ADAM, 0.001, None)]
    )
    save_run(store / MACHINE, "0003_alice", [bench(MATMUL, 0.005, 2_000_000)])
    return store


def rows(text: str) -> list[list[str]]:
    """The per-benchmark table's rows, split on two or more spaces; continuation rows keep ''."""
    lines = text.split("Per benchmark:")[1].splitlines()[3:]
    out = []
    for line in lines:
        if not line.strip() or line.startswith("*"):
            break
        cells = [c for c in line.split("  ") if c != ""]
        out.append(([""] if line.startswith(" ") else []) + [c.strip() for c in cells])
    return out


def test_table_numbers_are_the_runs_numbers(storage: Path) -> None:
    text = compare(["alice", "bob"], storage, baseline="0002_bob")
    # label "alice" is both of alice's runs; the baseline is one of the runs and stays in place
    assert rows(text) == [
        [
            "bench_core.py::test_matmul_tinytorch",
            "0001_alice",
            format_seconds(0.010),
            "0.40",
            format_bytes(4_000_000),
            "0.33",
        ],
        ["", "0003_alice", format_seconds(0.005), "0.20", format_bytes(2_000_000), "0.17"],
        ["", "0002_bob (baseline)", format_seconds(0.025) + "*", "1.00", format_bytes(12_000_000), "1.00"],
        [
            "bench_train.py::test_adam_step_tinytorch",
            "0001_alice",
            format_seconds(0.002),
            "2.00",
            "8 MiB",
            "-",
        ],
        ["", "0003_alice", "not run", "-", "-", "-"],
        ["", "0002_bob (baseline)", format_seconds(0.001), "1.00", "-", "-"],
    ]
    assert format_seconds(0.010) == "10 ms" and format_bytes(4_000_000) == "3.81 MiB"
    assert "* other processes used more than 5% of the CPU" in text


def test_default_baseline_is_the_first_run_and_runs_are_described(storage: Path) -> None:
    text = compare(["3", "1"], storage)
    assert text.startswith("2 runs, baseline 0003_alice:")
    assert "vm (AMD EPYC, 2 CPUs)" in text and "0123456789 +dirty" in text
    assert rows(text)[1] == ["", "0001_alice", "10 ms", "2.00", "3.81 MiB", "2.00"]


def test_baseline_outside_the_runs_is_put_first(storage: Path) -> None:
    text = compare(["0003_alice"], storage, baseline="bob")
    assert text.startswith("2 runs, baseline 0002_bob:")


def test_every_saved_run_by_default_and_select(storage: Path) -> None:
    text = compare([], storage, select="adam")
    assert text.startswith("3 runs, baseline 0001_alice:")
    assert "matmul" not in text.split("Per benchmark:")[1]


def test_class_folder_with_colliding_names(storage: Path, tmp_path: Path) -> None:
    """An instructor's folder of students' files: same stems in different folders stay apart."""
    class_dir = tmp_path / "class"
    save_run(class_dir / "carol", "0001_run", [bench(MATMUL, 0.020, 1000)], node="carol-laptop")
    save_run(class_dir / "dave", "0001_run", [bench(MATMUL, 0.040, 3000)], node="dave-laptop")
    runs = load_runs(resolve_runs([str(class_dir)], storage))
    assert [r.name for r in runs] == ["carol/0001_run", "dave/0001_run"]
    text = compare([str(class_dir)], storage)
    assert rows(text)[1] == ["", "dave/0001_run", "40 ms", "2.00", "2.93 KiB", "3.00"]
    assert "carol-laptop" in text


@pytest.mark.parametrize(
    ("refs", "baseline", "message"),
    [
        (["nobody"], None, "no saved run so named"),
        (["1"], "alice", "matches 2 runs (0001_alice, 0003_alice): name one"),
    ],
)
def test_bad_references(storage: Path, refs: list[str], baseline: str | None, message: str) -> None:
    with pytest.raises(BenchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare(refs, storage, baseline=baseline)


def test_not_a_benchmark_file(storage: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"benchmarks": [{"name": "x"}]}')
    with pytest.raises(BenchError, match="not a pytest-benchmark JSON file"):
        compare([str(bad)], storage)


def test_cli_compare_and_errors(storage: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "compare", "1", "2", "--storage", str(storage)]) == 0
    assert "0002_bob" in capsys.readouterr().out
    assert main(["bench", "compare", "nobody", "--storage", str(storage)]) == 2
    assert capsys.readouterr().err.startswith("tinytorch bench: error: nobody: ")
    assert main(["bench", "compare", "--storage", str(storage.parent / "empty")]) == 2


def test_plot_without_matplotlib_is_a_clear_error(
    storage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    monkeypatch.delitem(__import__("sys").modules, "matplotlib", raising=False)
    with pytest.raises(BenchError, match="--plot needs matplotlib"):
        compare(["1", "2"], storage, plot_path=tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()


def test_plot_writes_a_png(storage: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib is optional (the milestones environment has it)")
    runs = load_runs(resolve_runs(["1", "2"], storage))
    plot(runs, runs[0], tmp_path / "out/p.png")
    assert (tmp_path / "out/p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_run_wraps_run_py_and_reports_the_saved_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in benchmarks/run.py that saves like pytest-benchmark does: the new file is named."""
    root = tmp_path / "repo"
    (root / "benchmarks").mkdir(parents=True)
    (root / "benchmarks/run.py").write_text(
        "import json, sys\nfrom pathlib import Path\n"
        "assert sys.argv[1:3] == ['--name', 'alice'], sys.argv\n"
        "folder = Path('.benchmarks/m'); folder.mkdir(parents=True)\n"
        "(folder / '0001_alice.json').write_text(json.dumps({'benchmarks': [], 'extra': sys.argv[3:]}))\n"
        "sys.exit(3)\n"
    )
    assert run_benchmarks(root, "alice", ["-k", "matmul"]) == 3
    assert json.loads((root / ".benchmarks/m/0001_alice.json").read_text())["extra"] == ["-k", "matmul"]
    assert "Saved as " + str(root / ".benchmarks/m/0001_alice.json") in capsys.readouterr().out
    with pytest.raises(BenchError, match="use letters"):
        run_benchmarks(root, "bad name", [])
