"""``tinytorch bench run`` and ``tinytorch bench compare``: benchmark history on pytest-benchmark's storage.

``bench run --name LABEL`` runs ``benchmarks/run.py`` (pytest-benchmark for time, memray for peak
memory), which saves the run as ``.benchmarks/<machine>/NNNN_LABEL.json`` -- pytest-benchmark's
own storage and format, with ``machine_info`` and ``commit_info`` recorded by pytest-benchmark.

``bench compare`` reads any number of such files -- from the storage by number, label or name,
or as paths (a folder of students' JSON files) -- and prints, per benchmark, the median time
and the peak memory (``extra_info.peak_memory_bytes``) of every run with their ratio to a
baseline run; ``--plot FILE.png`` draws the ratios (matplotlib, imported only then).
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinytorch.course.status import table

__all__ = [
    "BenchError",
    "Run",
    "compare",
    "compare_table",
    "format_bytes",
    "format_seconds",
    "load_run",
    "load_runs",
    "plot",
    "resolve_runs",
    "run_benchmarks",
    "storage_runs",
]

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
BUSY = 0.05  # as benchmarks/summary.py: other processes used > 5% of the machine


class BenchError(Exception):
    """A run that cannot be found or read, or a plot that cannot be drawn."""


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_bytes(n: float) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


@dataclass
class Run:
    """One saved pytest-benchmark run."""

    path: Path
    data: dict[str, Any]
    name: str = ""  # display name, unique among the compared runs

    @property
    def benchmarks(self) -> dict[str, dict[str, Any]]:
        """Benchmark key (``bench_core.py::test_matmul_numpy``) -> its record."""
        return {b["fullname"].removeprefix("benchmarks/"): b for b in self.data["benchmarks"]}

    def describe(self) -> list[str]:
        machine = self.data.get("machine_info", {})
        cpu = machine.get("cpu", {})
        commit = self.data.get("commit_info", {})
        commit_text = (
            (str(commit.get("id") or "?")[:10] + (" +dirty" if commit.get("dirty") else ""))
            if commit
            else "-"
        )
        return [
            self.name,
            str(self.data.get("datetime", "?"))[:19],
            f"{machine.get('node', '?')} ({cpu.get('brand_raw', '?')}, {cpu.get('count', '?')} CPUs)",
            f"NumPy {machine.get('numpy_version', '?')}, {machine.get('numpy_threads', '?')} threads",
            commit_text,
            str(self.path),
        ]


def load_run(path: Path) -> Run:
    """Read one pytest-benchmark JSON file; :class:`BenchError` if it is not one."""
    try:
        data = json.loads(path.read_text())
        ok = isinstance(data, dict) and all(
            "fullname" in b and "median" in b["stats"] for b in data["benchmarks"]
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise BenchError(f"{path}: not a pytest-benchmark JSON file ({err})") from None
    if not ok:
        raise BenchError(f"{path}: not a pytest-benchmark JSON file (benchmarks without fullname/stats)")
    return Run(path, data)


def storage_runs(storage: Path) -> list[Path]:
    """Every saved run, ``<storage>/<machine>/NNNN_label.json``, by machine then number."""
    return sorted(storage.glob("*/*.json"))


def _matches(path: Path, ref: str) -> bool:
    number, _, label = path.stem.partition("_")
    return ref in (path.stem, label) or (ref.isdigit() and number.isdigit() and int(ref) == int(number))


def resolve_runs(refs: Sequence[str], storage: Path) -> list[Path]:
    """Paths for run references, in order: a file, a folder (its ``*.json``, recursively), or a
    saved run's name (``0003_alice``), number (``3``) or label (``alice``: every run so labelled)."""
    paths: list[Path] = []
    for ref in refs:
        candidate = Path(ref)
        if candidate.is_file():
            found = [candidate]
        elif candidate.is_dir():
            found = sorted(candidate.rglob("*.json"))
            if not found:
                raise BenchError(f"{ref}: folder holds no .json file")
        else:
            found = [p for p in storage_runs(storage) if _matches(p, ref)]
            if not found:
                raise BenchError(f"{ref}: no such file or folder, and no saved run so named in {storage}")
        paths += [p for p in found if p not in paths]
    return paths


def _name_runs(runs: list[Run]) -> None:
    """Display names: the file's stem, prefixed by its folder where two stems collide."""
    stems = [r.path.stem for r in runs]
    for run in runs:
        run.name = (
            run.path.stem if stems.count(run.path.stem) == 1 else f"{run.path.parent.name}/{run.path.stem}"
        )
    names = [r.name for r in runs]
    for i, run in enumerate(runs):
        if names.count(run.name) > 1:
            run.name = f"{run.name}#{i + 1}"


def load_runs(paths: Sequence[Path]) -> list[Run]:
    runs = [load_run(p) for p in paths]
    _name_runs(runs)
    return runs


def _median(b: dict[str, Any] | None) -> float | None:
    return None if b is None else float(b["stats"]["median"])


def _peak(b: dict[str, Any] | None) -> int | None:
    if b is None:
        return None
    peak = (b.get("extra_info") or {}).get("peak_memory_bytes")
    return None if peak is None else int(peak)


def _busy(b: dict[str, Any] | None) -> bool:
    return b is not None and ((b.get("extra_info") or {}).get("others_cpu_share") or 0.0) > BUSY


def _ratio(value: float | None, base: float | None) -> str:
    return "-" if value is None or not base else f"{value / base:.2f}"


def benchmark_keys(runs: Sequence[Run], select: str | None = None) -> list[str]:
    """Every benchmark of any run, in order of first appearance, optionally those containing ``select``."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.benchmarks if k not in keys and (select is None or select in k)]
    return keys


def compare_table(runs: Sequence[Run], baseline: Run, select: str | None = None) -> str:
    """Runs overview, then per benchmark one row per run: median, ratio, peak memory, ratio."""
    overview = table(
        ["run", "date (UTC)", "machine", "NumPy", "commit", "file"], [r.describe() for r in runs]
    )
    rows = []
    busy = False
    for key in benchmark_keys(runs, select):
        base = baseline.benchmarks.get(key)
        for i, run in enumerate(runs):
            b = run.benchmarks.get(key)
            median, peak = _median(b), _peak(b)
            mark = "*" if _busy(b) else ""
            busy = busy or bool(mark)
            rows.append(
                [
                    key if i == 0 else "",
                    run.name + (" (baseline)" if run is baseline else ""),
                    "not run" if median is None else format_seconds(median) + mark,
                    _ratio(median, _median(base)),
                    "-" if peak is None else format_bytes(peak),
                    _ratio(peak, _peak(base)),
                ]
            )
    lines = [
        f"{len(runs)} run{'s' if len(runs) != 1 else ''}, baseline {baseline.name}:",
        overview,
        "",
        "Per benchmark: median time and peak memory (memray) of each run; x base = run / baseline.",
        table(["benchmark", "run", "median", "x base", "peak mem", "x base"], rows)
        if rows
        else "(no benchmarks)",
    ]
    if busy:
        lines += [
            "",
            "* other processes used more than 5% of the CPU during this benchmark: its time is noisy.",
        ]
    return "\n".join(lines)


def plot(runs: Sequence[Run], baseline: Run, path: Path, select: str | None = None) -> None:
    """Two panels of horizontal bars: time and peak memory of each run relative to the baseline."""
    try:  # imported here: matplotlib is optional, and only --plot needs it
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise BenchError(
            "--plot needs matplotlib, which is not installed in this environment: "
            "pip install matplotlib (the hatch `milestones` environment has it)"
        ) from None
    ticker = importlib.import_module("matplotlib.ticker")
    keys = benchmark_keys(runs, select)
    height = 0.8 / len(runs)
    colors = plt.get_cmap("tab10" if len(runs) <= 10 else "tab20")
    fig, axes = plt.subplots(1, 2, figsize=(14, 1.0 + 0.45 * len(keys) * max(1, len(runs) / 2)), sharey=True)
    for ax, (title, value) in zip(axes, (("median time", _median), ("peak memory", _peak)), strict=True):
        for i, run in enumerate(runs):
            ys, xs = [], []
            for k, key in enumerate(keys):
                v, base = value(run.benchmarks.get(key)), value(baseline.benchmarks.get(key))
                if v is not None and base:
                    ys.append(k + (i - (len(runs) - 1) / 2) * height)
                    xs.append(v / base)
            color = colors(i % colors.N)
            # Bars grow from 1 (the baseline): left of it is better, right is worse.
            ax.barh(ys, [x - 1 for x in xs], left=1, height=height, color=color, label=run.name)
            ax.plot(xs, ys, "|", color=color, markersize=8)
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}x"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(f"{title} / baseline {baseline.name} (lower is better)")
    axes[0].set_yticks(range(len(keys)), keys, fontsize=8)
    axes[0].invert_yaxis()
    axes[1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def compare(
    refs: Sequence[str],
    storage: Path,
    *,
    baseline: str | None = None,
    plot_path: Path | None = None,
    select: str | None = None,
) -> str:
    """The comparison text (and the plot if asked); :class:`BenchError` on a bad reference."""
    paths = resolve_runs(refs, storage) if refs else storage_runs(storage)
    if not paths:
        raise BenchError(f"no saved runs in {storage}: `tinytorch bench run --name LABEL` makes one")
    base_path: Path | None = None
    if baseline is not None:
        found = resolve_runs([baseline], storage)
        if len(found) != 1:
            listed = ", ".join(p.stem for p in found)
            raise BenchError(f"--baseline {baseline} matches {len(found)} runs ({listed}): name one")
        base_path = found[0]
        if base_path not in paths:
            paths.insert(0, base_path)
    runs = load_runs(paths)
    base = next(r for r in runs if r.path == base_path) if base_path is not None else runs[0]
    text = compare_table(runs, base, select)
    if plot_path is not None:
        plot(runs, base, plot_path, select)
        text += f"\n\nPlot written to {plot_path}"
    return text


def run_benchmarks(root: Path, name: str, pytest_args: Sequence[str], python: str = sys.executable) -> int:
    """Run ``benchmarks/run.py --name NAME`` at ``root`` and say where the run was saved.

    Returns pytest's exit code."""
    if not LABEL.fullmatch(name):
        raise BenchError(f"--name {name!r}: use letters, digits, '.', '_' and '-'")
    script = root / "benchmarks" / "run.py"
    if not script.is_file():
        raise BenchError(f"{script} does not exist: run this in a TinyTorch repository")
    storage = root / ".benchmarks"
    before = set(storage_runs(storage))
    code = subprocess.run(
        [python, str(script), "--name", name, *pytest_args], cwd=root, check=False
    ).returncode
    for path in sorted(set(storage_runs(storage)) - before):
        print(f"\nSaved as {path} (machine and commit recorded by pytest-benchmark).")
        print(f"Compare: tinytorch bench compare {path.stem} [OTHER RUNS] [--baseline RUN] [--plot FILE.png]")
    return code
