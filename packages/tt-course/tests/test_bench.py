"""tinytorch bench compare on saved runs that the tests write in pytest-benchmark's format."""

from __future__ import annotations

import builtins
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tinytorch.course.bench import (
    CONTROLS,
    NOISY_SPREAD,
    BenchError,
    RefusedRunsError,
    compare,
    control_noise,
    figure,
    format_bytes,
    format_seconds,
    load_runs,
    machine_factor,
    normalised_medians,
    plot,
    resolve_runs,
    run_benchmarks,
)
from tinytorch.course.cli import main

MACHINE = "Linux-CPython-3.11-64bit"


def bench(
    fullname: str,
    median: float,
    peak: int | None,
    busy: float = 0.0,
    role: str = "tinytorch",
    spread: float = 0.02,
) -> dict[str, Any]:
    """One benchmark's record; ``spread`` is its interquartile range / median (0.02: a quiet run)."""
    extra: dict[str, Any] = {"role": role, "others_cpu_share": busy}
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
        "stats": {
            "min": median / 2,
            "max": median * 2,
            "mean": median * 1.1,
            "median": median,
            "iqr": median * spread,
            "rounds": 5,
        },
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


def rows(text: str, section: str = "The student's code") -> list[list[str]]:
    """One section's table rows, split on two or more spaces; continuation rows keep ''."""
    lines = text.split(section)[1].splitlines()[3:]  # the title's end, the header, its dashes
    out = []
    for line in lines:
        if not line.strip():
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


# A malformed saved run: (what is wrong, how to spoil a valid file's JSON, the field the error names).
# Each crashed `bench compare` with a traceback, or (a negative median) printed a ratio of -1000.
MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "median a string": (
        lambda d: d["benchmarks"][0]["stats"].update(median="fast"),
        "stats.median is 'fast'",
    ),
    "median null": (lambda d: d["benchmarks"][0]["stats"].update(median=None), "stats.median is null"),
    "median negative": (lambda d: d["benchmarks"][0]["stats"].update(median=-10.0), "stats.median is -10.0"),
    "median NaN": (lambda d: d["benchmarks"][0]["stats"].update(median=math.nan), "stats.median is nan"),
    "iqr a string": (lambda d: d["benchmarks"][1]["stats"].update(iqr="wide"), "stats.iqr is 'wide'"),
    "peak a string": (
        lambda d: d["benchmarks"][0]["extra_info"].update(peak_memory_bytes="lots"),
        "extra_info.peak_memory_bytes is 'lots'",
    ),
    "peak negative": (
        lambda d: d["benchmarks"][0]["extra_info"].update(peak_memory_bytes=-5),
        "extra_info.peak_memory_bytes is -5",
    ),
    "CPU share a string": (
        lambda d: d["benchmarks"][0]["extra_info"].update(others_cpu_share="high"),
        "extra_info.others_cpu_share is 'high'",
    ),
    "extra_info a list": (lambda d: d["benchmarks"][0].update(extra_info=[1]), "extra_info is [1]"),
    "fullname a number": (lambda d: d["benchmarks"][0].update(fullname=42), "benchmarks[0]: fullname is 42"),
    "fullname twice": (
        lambda d: d["benchmarks"][1].update(fullname=MATMUL),
        f"benchmarks[1].fullname '{MATMUL}' appears twice",
    ),
    "stats a string": (lambda d: d["benchmarks"][0].update(stats="fast"), "stats is 'fast'"),
    "a benchmark a string": (lambda d: d["benchmarks"].append("x"), "benchmarks[2]: is 'x'"),
    "benchmarks an object": (lambda d: d.update(benchmarks={}), "benchmarks is {}"),
    "machine_info a string": (lambda d: d.update(machine_info="vm"), "machine_info is 'vm'"),
    "machine_info.cpu a string": (
        lambda d: d["machine_info"].update(cpu="EPYC"),
        "machine_info.cpu is 'EPYC'",
    ),
    "commit_info a list": (lambda d: d.update(commit_info=["abc"]), "commit_info is ['abc']"),
}


def malformed_run(folder: Path, case: str) -> Path:
    """A saved run of two benchmarks, spoilt as ``MALFORMED[case]`` says."""
    path = save_run(folder, "0001_spoilt", [bench(MATMUL, 0.010, 4_000_000), bench(ADAM, 0.002, 2**20)])
    data = json.loads(path.read_text())
    MALFORMED[case][0](data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_run_is_refused_by_path_and_field_and_the_others_compared(
    storage: Path, tmp_path: Path, case: str
) -> None:
    bad = malformed_run(tmp_path / "class", case)
    with pytest.raises(RefusedRunsError) as refused:
        compare(["1", str(bad), "3"], storage)
    assert str(refused.value).startswith(f"{bad}: not a pytest-benchmark JSON file: ")
    assert MALFORMED[case][1] in str(refused.value)
    compared = {row[1] for row in rows(refused.value.text)}
    assert compared == {"0001_alice (baseline)", "0003_alice"}
    with pytest.raises(BenchError, match=re.escape(MALFORMED[case][1])):
        load_runs([bad])


@pytest.mark.parametrize("case", MALFORMED)
def test_cli_refuses_a_malformed_run_with_exit_2(
    storage: Path, tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = malformed_run(tmp_path / "class", case)
    assert main(["bench", "compare", "1", str(bad), "--storage", str(storage)]) == 2
    out, err = capsys.readouterr()
    first, *rest = err.splitlines()
    assert first.startswith(f"tinytorch bench: error: {bad}: not a pytest-benchmark JSON file: ")
    assert MALFORMED[case][1] in first
    assert rest == ["tinytorch bench: 1 run file left out"]
    assert "0001_alice (baseline)" in out and "0001_spoilt" not in out and "-1000" not in out


def test_a_malformed_baseline_stops_the_comparison(
    storage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = malformed_run(tmp_path / "class", "median null")
    for args in ([str(bad), "1"], ["1", "--baseline", str(bad)]):
        assert main(["bench", "compare", *args, "--storage", str(storage)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith(f"tinytorch bench: error: {bad}: ")
        assert "stats.median is null" in err and "this is the baseline" in err
    with pytest.raises(BenchError, match="this is the baseline, --baseline: nothing compared") as raised:
        compare(["1"], storage, baseline=str(bad))
    assert not isinstance(raised.value, RefusedRunsError)


def test_json_nested_too_deeply_is_refused(
    storage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(RefusedRunsError, match="nested too deeply to read"):
        compare(["1", str(deep)], storage)
    assert main(["bench", "compare", "1", str(deep), "--storage", str(storage)]) == 2
    assert (
        f"tinytorch bench: error: {deep}: not a pytest-benchmark JSON file (nested too deeply to read)"
        in (capsys.readouterr().err)
    )


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
    controls = " or ".join(key.split("::")[1] for key in CONTROLS)  # a selection still measures them
    assert json.loads((root / ".benchmarks/m/0001_alice.json").read_text())["extra"] == [
        "-k",
        f"(matmul) or {controls}",
    ]
    assert "Saved as " + str(root / ".benchmarks/m/0001_alice.json") in capsys.readouterr().out
    with pytest.raises(BenchError, match="use letters"):
        run_benchmarks(root, "bad name", [])


# ------------------------------------------------ normalisation by the controls of the same run

SLOW = 1.37  # the slow laptop takes 1.37x as long at everything
TORCH_CHAIN = "benchmarks/bench_core.py::test_op_chain_pytorch"
LOOP = "benchmarks/bench_core.py::test_guide_add_python_loop"
ADAM_TORCH = "benchmarks/bench_train.py::test_adam_step_pytorch"
VIEW = "benchmarks/bench_core.py::test_guide_view[slice-view]"


def controls(scale: float) -> list[dict[str, Any]]:
    """The four controls with the roles the suite gives them, quiet."""
    return [
        bench("benchmarks/bench_core.py::test_matmul_numpy", 0.011 * scale, 4_718_592, role="baseline"),
        bench("benchmarks/bench_core.py::test_guide_add_numpy", 16e-6 * scale, 400_544, role="guide"),
        bench(LOOP, 3.7e-3 * scale, 3_200_000, role="baseline"),
        bench(TORCH_CHAIN, 0.0105 * scale, 831_488, role="baseline"),
    ]


def identical_code(scale: float) -> list[dict[str, Any]]:
    """One run of the same code on a machine ``scale`` times slower than the first laptop."""
    return [
        bench(MATMUL, 0.0125 * scale, 4_718_592),
        bench(ADAM, 0.0021 * scale, 8 * 2**20),
        bench(ADAM_TORCH, 0.0016 * scale, 12 * 2**20, role="baseline"),
        bench(VIEW, 3.3e-6 * scale, 2_860, role="guide"),
        *controls(scale),
    ]


def test_the_test_runs_measure_the_declared_controls() -> None:
    assert [b["fullname"].removeprefix("benchmarks/") for b in controls(1.0)] == list(CONTROLS)


@pytest.fixture
def laptops(tmp_path: Path) -> list[Path]:
    """Two saved runs of identical code, from a fast and a slow laptop (every time x SLOW)."""
    fast = save_run(tmp_path / "fast", "0001_alice", identical_code(1.0), node="fast-laptop")
    slow = save_run(tmp_path / "slow", "0001_alice", identical_code(SLOW), node="slow-laptop")
    return [fast, slow]


def overview_row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return [c.strip() for c in line.split("  ") if c.strip()]


def test_identical_code_on_a_fast_and_a_slow_laptop_is_equal_after_normalisation(
    laptops: list[Path], storage: Path
) -> None:
    fast, slow = load_runs(laptops)
    fast_factor, slow_factor = machine_factor(fast), machine_factor(slow)
    assert fast_factor is not None and slow_factor is not None
    assert slow_factor / fast_factor == pytest.approx(SLOW)
    normalised = normalised_medians(fast)
    assert sorted(normalised) == [MATMUL.removeprefix("benchmarks/"), ADAM.removeprefix("benchmarks/")]
    assert normalised_medians(slow) == pytest.approx(normalised)
    for key in normalised:  # while the raw medians differ by the machines' speed
        raw = slow.benchmarks[key]["stats"]["median"] / fast.benchmarks[key]["stats"]["median"]
        assert raw == pytest.approx(SLOW)

    text = compare([str(p) for p in laptops], storage)
    assert overview_row(text, "slow/0001_alice")[5:7] == ["1.37", str(laptops[1])]
    assert "Controls: matmul_numpy, add_numpy, add_python_loop, op_chain_pytorch." in text
    assert rows(text) == [
        [
            "bench_core.py::test_matmul_tinytorch",
            "fast/0001_alice (baseline)",
            "12.5 ms",
            "1.00",
            "1.00",
            "4.5 MiB",
            "1.00",
        ],
        ["", "slow/0001_alice", format_seconds(0.0125 * SLOW), "1.37", "1.00", "4.5 MiB", "1.00"],
        [
            "bench_train.py::test_adam_step_tinytorch",
            "fast/0001_alice (baseline)",
            "2.1 ms",
            "1.00",
            "1.00",
            "8 MiB",
            "1.00",
        ],
        ["", "slow/0001_alice", format_seconds(0.0021 * SLOW), "1.37", "1.00", "8 MiB", "1.00"],
    ]
    assert "noisy" not in text and "NOT NORMALISED" not in text

    raw_text = compare([str(p) for p in laptops], storage, normalise=False)
    assert "Raw times (--raw)" in raw_text and "norm. x base" not in raw_text
    assert rows(raw_text)[1] == [
        "",
        "slow/0001_alice",
        format_seconds(0.0125 * SLOW),
        "1.37",
        "4.5 MiB",
        "1.00",
    ]


def test_machine_factor_is_the_geometric_mean_of_the_controls(tmp_path: Path) -> None:
    medians = [0.001, 0.004, 0.002, 0.008]  # geometric mean: (64e-12) ** (1/4) = 2.83 ms
    run_file = [bench(k, m, None, role="baseline") for k, m in zip(CONTROLS, medians, strict=True)]
    (run,) = load_runs([save_run(tmp_path, "0001_x", run_file)])
    assert machine_factor(run) == pytest.approx(64e-12**0.25)
    two = list(CONTROLS)[:2]
    assert machine_factor(run, two) == pytest.approx((0.001 * 0.004) ** 0.5)
    assert machine_factor(run, ["bench_core.py::test_no_such_control"]) is None


def test_noisy_controls_are_flagged(tmp_path: Path, storage: Path) -> None:
    quiet = save_run(tmp_path, "0001_quiet", identical_code(1.0))
    benches = identical_code(SLOW)
    benches[4]["stats"]["iqr"] = 0.6 * benches[4]["stats"]["median"]  # matmul_numpy: IQR 60% of median
    benches[6]["extra_info"]["others_cpu_share"] = 0.3  # the Python loop shared the CPU
    benches[5]["stats"]["iqr"] = 0.9 * NOISY_SPREAD * benches[5]["stats"]["median"]  # add_numpy: under it
    noisy = save_run(tmp_path, "0002_noisy", benches)
    text = compare([str(quiet), str(noisy)], storage)
    assert overview_row(text, "0002_noisy")[5] == "1.37?"
    assert overview_row(text, "0001_quiet")[5] == "1.00"
    assert rows(text)[1][4] == "1.00?"  # every normalised ratio of the noisy run is marked
    assert f"? normalised by noisy controls (IQR > {NOISY_SPREAD:.0%} of the median" in text
    assert (
        "  0002_noisy: matmul_numpy (IQR 60% of the median), add_python_loop (others used 30% of the CPU)"
        in text.splitlines()
    )
    runs = load_runs([quiet, noisy])
    assert control_noise(runs[0]) == []
    assert len(control_noise(runs[1])) == 2


def test_runs_without_controls_are_not_normalised(tmp_path: Path, storage: Path) -> None:
    new = save_run(tmp_path, "0001_new", identical_code(1.0))
    old = save_run(tmp_path, "0002_old", [bench(MATMUL, 0.02, 4_718_592)])  # saved before the controls
    no_torch = [b for b in identical_code(1.0) if "pytorch" not in b["fullname"]]
    without_torch = save_run(tmp_path, "0003_notorch", no_torch)
    text = compare([str(new), str(old), str(without_torch)], storage)
    assert overview_row(text, "0002_old")[5] == "n/a"
    assert "0002_old: NOT NORMALISED, no control in common with the baseline (norm. x base: n/a)." in text
    assert "0003_notorch: normalised by matmul_numpy, add_numpy, add_python_loop only" in text
    assert rows(text)[1] == ["", "0002_old", "20 ms", "1.60", "n/a", "4.5 MiB", "1.00"]
    assert rows(text)[2] == ["", "0003_notorch", "12.5 ms", "1.00", "1.00", "4.5 MiB", "1.00"]
    with pytest.raises(BenchError, match="not normalisable"):
        normalised_medians(load_runs([old])[0])

    text = compare([str(old), str(new)], storage)  # a baseline without controls: raw times, said so
    assert "NOT NORMALISED: the baseline 0002_old measured no control benchmark" in text
    assert "norm. x base" not in text and "machine x base" not in text


def test_controls_and_baselines_are_not_shown_as_the_students(laptops: list[Path], storage: Path) -> None:
    text = compare([str(laptops[0])], storage)

    def keys(section: str) -> list[str]:
        return [row[0] for row in rows(text, section) if row[0]]

    assert keys("The student's code") == [
        "bench_core.py::test_matmul_tinytorch",
        "bench_train.py::test_adam_step_tinytorch",
    ]
    assert keys("Guide measurements") == ["bench_core.py::test_guide_view[slice-view]"]
    assert keys("Baselines, not the student's code") == ["bench_train.py::test_adam_step_pytorch"]
    assert keys("Controls, not the student's code") == list(CONTROLS)
    run = load_runs([laptops[0]])[0]
    assert sorted(normalised_medians(run, roles=("tinytorch", "guide"))) == sorted(
        keys("The student's code") + keys("Guide measurements")
    )


def test_plot_labels_every_bar_and_leaves_the_controls_out(laptops: list[Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib is optional (the default environment has it)")
    plt = pytest.importorskip("matplotlib.pyplot")
    runs = load_runs(laptops)
    fig = figure(runs, runs[0])
    time_ax, memory_ax = fig.axes
    students = ["bench_core.py::test_matmul_tinytorch", "bench_train.py::test_adam_step_tinytorch"]
    assert [t.get_text() for t in time_ax.get_yticklabels()] == [*students, VIEW.removeprefix("benchmarks/")]
    assert [t.get_text() for t in time_ax.texts] == ["1.00x"] * 6  # both runs, three benchmarks
    assert [t.get_text() for t in memory_ax.texts][:3] == [
        "1.00x (4.5 MiB)",
        "1.00x (8 MiB)",
        "1.00x (2.79 KiB)",
    ]
    assert fig.get_suptitle().startswith("Times normalised by the controls measured in each run")
    assert "slow/0001_alice (machine 1.37x)" in [t.get_text() for t in fig.legends[0].get_texts()]
    lo, hi = memory_ax.get_xlim()  # ratios all 1: still a scale, not just "1x"
    assert [t for t in memory_ax.get_xticks() if lo <= t <= hi] == [0.98, 1.0, 1.02]
    assert any(t.get_text().startswith("Not drawn (not the student's code): 1 baseline") for t in fig.texts)
    plt.close(fig)

    raw = figure(runs, runs[0], normalise=False)
    assert [t.get_text() for t in raw.axes[0].texts] == ["1.00x"] * 3 + ["1.37x"] * 3
    assert raw.get_suptitle().startswith("Raw times (--raw)")
    plt.close(raw)
    plot(runs, runs[0], tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_raw_flag(laptops: list[Path], storage: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "compare", *map(str, laptops), "--storage", str(storage)]
    assert main(args) == 0
    assert "norm. x base" in capsys.readouterr().out
    assert main([*args, "--raw"]) == 0
    assert "Raw times (--raw)" in capsys.readouterr().out
