"""``tinytorch bench run`` and ``tinytorch bench compare``: benchmark history on pytest-benchmark's storage.

``bench run --name LABEL`` runs ``benchmarks/run.py`` (pytest-benchmark for time, memray for peak
memory), which saves the run as ``.benchmarks/<machine>/NNNN_LABEL.json`` -- pytest-benchmark's
own storage and format, with ``machine_info`` and ``commit_info`` recorded by pytest-benchmark.

``bench compare`` reads any number of such files -- from the storage by number, label or name,
or as paths (a folder of students' JSON files) -- and prints, per benchmark, the median time
and the peak memory (``extra_info.peak_memory_bytes``) of every run with their ratio to a
baseline run; ``--plot FILE.png`` draws the ratios (matplotlib, imported only then).

Times are normalised by default. Every run also measures :data:`CONTROLS`, benchmarks that run
no student code; the geometric mean of their medians is the run's *machine factor*
(:func:`machine_factor`), and ``median / machine factor`` compares between machines and days
(:func:`normalised_medians`). The student's benchmarks (role "tinytorch"), the guide
measurements, the baselines (NumPy, PyTorch, loop versions) and the controls are shown apart.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tinytorch.course.status import table

__all__ = [
    "BUSY",
    "CONTROLS",
    "NOISY_SPREAD",
    "BenchError",
    "Normalisation",
    "RefusedRunsError",
    "Run",
    "common_controls",
    "compare",
    "compare_table",
    "control_noise",
    "figure",
    "format_bytes",
    "format_seconds",
    "kind",
    "load_run",
    "load_runs",
    "machine_factor",
    "normalisation",
    "normalised_medians",
    "plot",
    "resolve_runs",
    "run_benchmarks",
    "run_controls",
    "storage_runs",
    "with_controls",
]

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
BUSY = 0.05  # as benchmarks/summary.py: other processes used > 5% of the machine

# Benchmarks that run no student code, measured in every run (benchmarks/bench_core.py): their
# medians say how fast this machine was, at this hour, at what tinytorch's time is made of.
# Key -> why it is a control.
CONTROLS: dict[str, str] = {
    "bench_core.py::test_matmul_numpy": "NumPy GEMM, 1024x1024 float32: the BLAS and its threads "
    "(tinytorch's matmuls and convolutions)",
    "bench_core.py::test_guide_add_numpy": "NumPy add of 100k float32: one elementwise ufunc "
    "(tinytorch's elementwise ops)",
    "bench_core.py::test_guide_add_python_loop": "a Python loop over 100k floats: the interpreter "
    "alone (tinytorch's graph bookkeeping); needs no PyTorch",
    "bench_core.py::test_op_chain_pytorch": "1,000 tiny PyTorch ops, forward and backward: the "
    "per-op overhead of an autograd library (measured only where PyTorch is installed)",
}
# A control whose interquartile range exceeds this fraction of its median was disturbed while it
# ran: over its 20-100 rounds its median is then uncertain by 3-7% (standard error ~0.93 IQR /
# sqrt(rounds)), and so is the machine factor. On the course's 2-core VM, quiet runs mostly stay
# below it (packages/tt-course/guides/instructors.md, section 3).
NOISY_SPREAD = 0.35


class BenchError(Exception):
    """A run that cannot be found or read, or a plot that cannot be drawn."""


class RefusedRunsError(BenchError):
    """Run files :func:`compare` left out (each error names its path and field); ``text`` is the
    comparison of the other runs, already made (and plotted if asked)."""

    def __init__(self, errors: Sequence[BenchError], text: str) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)
        self.text = text


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

    @cached_property
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


def _kind_of(value: object) -> str:
    """How a refused JSON value is named in an error: ``'fast' (a string)``, ``null``."""
    names = {str: "a string", bool: "a boolean", list: "a list", dict: "an object", int: "a number"}
    if value is None:
        return "null"
    text = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{text} ({names.get(type(value), 'a number')})"


def _number(value: object) -> float | None:
    """``value`` as a finite float if it is a JSON number (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _check_object(data: dict[str, Any], field: str, inner: str | None = None) -> str | None:
    """Why ``data[field]`` (and its ``inner`` member) is not an object or null; None if it is."""
    value = data.get(field)
    if value is not None and not isinstance(value, dict):
        return f"{field} is {_kind_of(value)}; expected an object"
    if inner is not None and value is not None and not isinstance(value.get(inner, {}), dict | None):
        return f"{field}.{inner} is {_kind_of(value[inner])}; expected an object"
    return None


def _check_benchmark(b: object) -> str | None:
    """Why one record of ``benchmarks`` cannot be compared (the field and its value); None if it can.

    Read by compare and grade: ``fullname`` (text), ``stats.median`` (seconds, > 0),
    ``stats.iqr`` (seconds >= 0 or null), ``extra_info.peak_memory_bytes`` (whole bytes >= 0 or
    null), ``extra_info.others_cpu_share`` (>= 0 or null), ``extra_info.role`` (text or null)."""
    if not isinstance(b, dict):
        return f"is {_kind_of(b)}; expected an object"
    if not isinstance(b.get("fullname"), str) or not b["fullname"]:
        return f"fullname is {_kind_of(b.get('fullname'))}; expected the benchmark's name (text)"
    stats, extra = b.get("stats"), b.get("extra_info")
    if not isinstance(stats, dict):
        return f"stats is {_kind_of(stats)}; expected an object"
    median = _number(stats.get("median"))
    if median is None or median <= 0:
        return f"stats.median is {_kind_of(stats.get('median'))}; expected a number of seconds > 0"
    iqr = stats.get("iqr")
    if iqr is not None and ((value := _number(iqr)) is None or value < 0):
        return f"stats.iqr is {_kind_of(iqr)}; expected a number of seconds >= 0 or null"
    if extra is None:
        return None
    if not isinstance(extra, dict):
        return f"extra_info is {_kind_of(extra)}; expected an object"
    peak, share, role = (extra.get(k) for k in ("peak_memory_bytes", "others_cpu_share", "role"))
    if peak is not None and (isinstance(peak, bool) or not isinstance(peak, int) or peak < 0):
        return f"extra_info.peak_memory_bytes is {_kind_of(peak)}; expected a whole number of bytes >= 0"
    if share is not None and ((value := _number(share)) is None or value < 0):
        return f"extra_info.others_cpu_share is {_kind_of(share)}; expected a number >= 0 or null"
    if role is not None and not isinstance(role, str):
        return f"extra_info.role is {_kind_of(role)}; expected text or null"
    return None


def _check_run(data: object) -> str | None:
    """Why a parsed file is not a pytest-benchmark run that compare can read; None if it is."""
    if not isinstance(data, dict):
        return f"the file holds {_kind_of(data)}; expected an object with a benchmarks list"
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list):
        return f"benchmarks is {_kind_of(benchmarks)}; expected a list"
    for field, inner in (("machine_info", "cpu"), ("commit_info", None)):
        if (why := _check_object(data, field, inner)) is not None:
            return why
    seen: set[str] = set()
    for i, b in enumerate(benchmarks):
        if (why := _check_benchmark(b)) is not None:
            name = b.get("fullname") if isinstance(b, dict) else None
            return f"benchmarks[{i}]" + (f" ({name})" if isinstance(name, str) else "") + f": {why}"
        if b["fullname"] in seen:
            return f"benchmarks[{i}].fullname {b['fullname']!r} appears twice; expected one record each"
        seen.add(b["fullname"])
    return None


def load_run(path: Path) -> Run:
    """Read one pytest-benchmark JSON file; :class:`BenchError` naming the path and the field if
    it is not one (:func:`_check_run`: every field compare and grade read, with its type and range)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise BenchError(f"{path}: not a pytest-benchmark JSON file (nested too deeply to read)") from None
    except (OSError, ValueError) as err:
        raise BenchError(f"{path}: not a pytest-benchmark JSON file ({err})") from None
    why = _check_run(data)
    if why is not None:
        raise BenchError(f"{path}: not a pytest-benchmark JSON file: {why}")
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


def _extra(b: dict[str, Any]) -> dict[str, Any]:
    return b.get("extra_info") or {}


def _median(b: dict[str, Any] | None) -> float | None:
    return None if b is None else float(b["stats"]["median"])


def _peak(b: dict[str, Any] | None) -> int | None:
    peak = None if b is None else _extra(b).get("peak_memory_bytes")
    return None if peak is None else int(peak)


def _others(b: dict[str, Any]) -> float:
    return float(_extra(b).get("others_cpu_share") or 0.0)


def _busy(b: dict[str, Any] | None) -> bool:
    return b is not None and _others(b) > BUSY


def _spread(b: dict[str, Any]) -> float | None:
    """Interquartile range / median (pytest-benchmark's stats), None where not recorded."""
    iqr, median = b["stats"].get("iqr"), float(b["stats"]["median"])
    return None if iqr is None or median <= 0 else float(iqr) / median


def _ratio(value: float | None, base: float | None) -> str:
    return "-" if value is None or not base else f"{value / base:.2f}"


def _short(key: str) -> str:
    """``bench_core.py::test_matmul_numpy`` -> ``matmul_numpy``, for notes."""
    return key.split("::")[-1].removeprefix("test_guide_").removeprefix("test_")


def kind(key: str, b: dict[str, Any]) -> str:
    """Whose code a benchmark measures: "control" (:data:`CONTROLS`), "baseline" (role
    "baseline": NumPy, PyTorch or a loop version), "guide" (role "guide") or "student" (role
    "tinytorch", or no role recorded)."""
    if key in CONTROLS:
        return "control"
    role = _extra(b).get("role")
    return role if role in ("baseline", "guide") else "student"


def benchmark_keys(runs: Sequence[Run], select: str | None = None) -> list[str]:
    """Every benchmark of any run, in order of first appearance, optionally those containing ``select``."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.benchmarks if k not in keys and (select is None or select in k)]
    return keys


def _kinds(runs: Sequence[Run], keys: Sequence[str]) -> dict[str, str]:
    """Key -> :func:`kind`, from the first run that measured it."""
    first = {k: next(r.benchmarks[k] for r in runs if k in r.benchmarks) for k in keys}
    return {k: kind(k, b) for k, b in first.items()}


# ---------------------------------------------------------------- normalisation by the controls


def run_controls(run: Run) -> list[str]:
    """The :data:`CONTROLS` this run measured, in that order."""
    return [k for k in CONTROLS if k in run.benchmarks]


def common_controls(runs: Sequence[Run]) -> list[str]:
    """The :data:`CONTROLS` that every one of ``runs`` measured: normalise by these to compare all."""
    return [k for k in CONTROLS if all(k in r.benchmarks for r in runs)]


def machine_factor(run: Run, controls: Sequence[str] | None = None) -> float | None:
    """The run's machine factor in seconds: the geometric mean of the medians of ``controls``
    (default: every :data:`CONTROLS` benchmark the run measured).

    Factors compare only over the same controls (:func:`common_controls`). None if the run
    measured none of the default controls or lacks one of the ``controls`` given."""
    keys = run_controls(run) if controls is None else list(controls)
    medians = [m for m in (_median(run.benchmarks.get(k)) for k in keys) if m is not None and m > 0]
    if not keys or len(medians) != len(keys):
        return None
    return math.exp(math.fsum(math.log(m) for m in medians) / len(medians))


def normalised_medians(
    run: Run, controls: Sequence[str] | None = None, roles: Sequence[str] = ("tinytorch",)
) -> dict[str, float]:
    """Benchmark key -> median / :func:`machine_factor` of the run: a number without unit (the
    median in units of the controls' geometric-mean median) that compares between runs on
    different machines, provided they were normalised by the same ``controls``
    (:func:`common_controls` of a class's runs; default: the controls this run measured).

    Only benchmarks whose role is in ``roles`` (no role recorded counts as "tinytorch"); never a
    control. :class:`BenchError` if the run has no machine factor for ``controls``."""
    factor = machine_factor(run, controls)
    if factor is None:
        wanted = ", ".join(controls if controls is not None else CONTROLS)
        raise BenchError(f"{run.path}: not normalisable, it lacks the control benchmarks ({wanted})")
    return {
        key: float(b["stats"]["median"]) / factor
        for key, b in run.benchmarks.items()
        if key not in CONTROLS and (_extra(b).get("role") or "tinytorch") in roles
    }


def control_noise(run: Run, controls: Sequence[str] | None = None) -> list[str]:
    """Why the run's ``controls`` (default: all it measured) cannot be trusted, one text per
    noisy control: an interquartile range above :data:`NOISY_SPREAD` of the median, or other
    processes using more than :data:`BUSY` of the CPU. [] when they were quiet."""
    texts = []
    for key in run_controls(run) if controls is None else controls:
        b = run.benchmarks.get(key)
        if b is None:
            continue
        spread = _spread(b)
        reasons = [f"IQR {spread:.0%} of the median"] if spread is not None and spread > NOISY_SPREAD else []
        reasons += [f"others used {_others(b):.0%} of the CPU"] if _busy(b) else []
        if reasons:
            texts.append(f"{_short(key)} ({', '.join(reasons)})")
    return texts


@dataclass(frozen=True)
class Normalisation:
    """How a run's times are normalised against the baseline run's."""

    controls: tuple[str, ...]  # the controls both runs measured; () -> not normalisable
    factor: float | None  # run's machine factor / baseline's (1.37: this machine was 1.37x slower)
    noise: tuple[str, ...]  # "run: its noisy controls (why)", for the run and the baseline

    @property
    def noisy(self) -> bool:
        return bool(self.noise)

    def ratio(self, median: float | None, base: float | None) -> str:
        """The normalised ratio as shown: ``(median / factor) / base``, "?" if noisy, "n/a" if
        there is no factor."""
        if median is None or not base:
            return "-"
        if self.factor is None:
            return "n/a"
        return f"{median / base / self.factor:.2f}" + ("?" if self.noisy else "")


def normalisation(run: Run, baseline: Run) -> Normalisation:
    """Normalise ``run`` against ``baseline`` by the controls both measured."""
    controls = [k for k in run_controls(run) if k in baseline.benchmarks]
    factor, base = machine_factor(run, controls), machine_factor(baseline, controls)
    noisy = [(r.name, control_noise(r, controls)) for r in ([run] if run is baseline else [run, baseline])]
    noise = tuple(f"{name}: {', '.join(texts)}" for name, texts in noisy if texts)
    relative = None if factor is None or base is None else factor / base
    return Normalisation(tuple(controls), relative, noise)


def _normalisations(runs: Sequence[Run], baseline: Run) -> list[Normalisation] | None:
    """Each run's :func:`normalisation`, or None (raw times) if the baseline measured no control."""
    return [normalisation(r, baseline) for r in runs] if run_controls(baseline) else None


# ------------------------------------------------------------------------------------ the table

SECTIONS = {
    "student": 'The student\'s code (role "tinytorch": the tinytorch side of each target)',
    "guide": 'Guide measurements (role "guide": what the module guides quote; some are NumPy or PyTorch)',
    "baseline": 'Baselines, not the student\'s code (role "baseline": NumPy, PyTorch or loop versions)',
    "control": "Controls, not the student's code: they measure the machine (bench.CONTROLS)",
}


def _overview(runs: Sequence[Run], norms: Sequence[Normalisation] | None) -> str:
    header = ["run", "date (UTC)", "machine", "NumPy", "commit", "file"]
    rows = [r.describe() for r in runs]
    if norms is not None:
        header.insert(5, "machine x base")
        for row, norm in zip(rows, norms, strict=True):
            factor = "n/a" if norm.factor is None else f"{norm.factor:.2f}" + ("?" if norm.noisy else "")
            row.insert(5, factor)
    return table(header, rows)


def _normalisation_notes(
    runs: Sequence[Run], baseline: Run, norms: Sequence[Normalisation] | None
) -> list[str]:
    """Whether times are normalised; if so, what the machine factors are made of and which runs
    they do not cover."""
    used = tuple(run_controls(baseline))
    if norms is None and used:
        return ["Raw times (--raw): not normalised, so runs from different machines or days do not compare."]
    if norms is None:
        return [
            f"NOT NORMALISED: the baseline {baseline.name} measured no control benchmark "
            f"({', '.join(_short(k) for k in CONTROLS)}): raw times, which compare only on one machine."
        ]
    lines = [
        "machine x base: the run's machine factor / the baseline's, where a machine factor is the",
        "geometric mean of the medians of the controls measured in the same run (1.37: that machine",
        f"was 1.37x slower). Controls: {', '.join(_short(k) for k in used)}.",
    ]
    for run, norm in zip(runs, norms, strict=True):
        controls = norm.controls
        if not controls:
            lines.append(
                f"{run.name}: NOT NORMALISED, no control in common with the baseline (norm. x base: n/a)."
            )
        elif controls != used:
            only = ", ".join(_short(k) for k in controls)
            lines.append(f"{run.name}: normalised by {only} only (the controls it shares with the baseline).")
    return lines


def _section_rows(
    keys: Sequence[str], runs: Sequence[Run], baseline: Run, norms: Sequence[Normalisation] | None
) -> list[list[str]]:
    rows = []
    for key in keys:
        base = baseline.benchmarks.get(key)
        for i, run in enumerate(runs):
            b = run.benchmarks.get(key)
            median, peak = _median(b), _peak(b)
            row = [
                key if i == 0 else "",
                run.name + (" (baseline)" if run is baseline else ""),
                "not run" if median is None else format_seconds(median) + ("*" if _busy(b) else ""),
                _ratio(median, _median(base)),
            ]
            if norms is not None:
                row.append(norms[i].ratio(median, _median(base)))
            rows.append([*row, "-" if peak is None else format_bytes(peak), _ratio(peak, _peak(base))])
    return rows


def compare_table(
    runs: Sequence[Run], baseline: Run, select: str | None = None, normalise: bool = True
) -> str:
    """Runs overview (with each run's machine factor), then per benchmark one row per run: median,
    raw ratio, normalised ratio (unless ``normalise`` is false or the baseline has no control),
    peak memory, ratio. The student's benchmarks, the guide measurements, the baselines and the
    controls in separate tables."""
    norms = _normalisations(runs, baseline) if normalise else None
    lines = [f"{len(runs)} run{'s' if len(runs) != 1 else ''}, baseline {baseline.name}:"]
    lines += [_overview(runs, norms), "", *_normalisation_notes(runs, baseline, norms)]
    header = (
        ["benchmark", "run", "median", "x base"]
        + (["norm. x base"] if norms is not None else [])
        + ["peak mem", "x base"]
    )
    keys = benchmark_keys(runs, select)
    kinds = _kinds(runs, keys)
    lines += ["", "Per benchmark: median time and peak memory (memray) of each run; x base = run / baseline."]
    if norms is not None:
        lines.append(
            "norm. x base = the time's x base / the run's machine x base: the machine's speed taken out."
        )
    if not keys:
        lines.append("(no benchmarks)")
    for section, title in SECTIONS.items():
        in_section = [k for k in keys if kinds[k] == section]
        if in_section:
            lines += ["", f"{title}:", table(header, _section_rows(in_section, runs, baseline, norms))]
    lines += _footnotes(runs, keys, norms)
    return "\n".join(lines)


def _footnotes(runs: Sequence[Run], keys: Sequence[str], norms: Sequence[Normalisation] | None) -> list[str]:
    lines = []
    if any(_busy(r.benchmarks.get(k)) for r in runs for k in keys):
        lines.append(
            "* other processes used more than 5% of the CPU during this benchmark: its time is noisy."
        )
    noise = dict.fromkeys(t for n in norms or () for t in n.noise)  # each run once, in order
    if noise:
        lines += [
            f"? normalised by noisy controls (IQR > {NOISY_SPREAD:.0%} of the median, or other processes",
            f"  used > {BUSY:.0%} of the CPU): the ratio is unreliable, rerun on an idle machine. Noisy:",
        ]
        lines += [f"  {text}" for text in noise]
    return ["", *lines] if lines else []


# ------------------------------------------------------------------------------------- the plot

# Tick values for a ratio axis: powers of ten and their 2x and 5x first, finer steps where the
# ratios are close to 1 (a memory panel of ratios 0.98..1.02 gets ticks, not just "1x").
TICKS = (
    (1.0,),
    tuple(m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5) if m * 10.0**e != 1.0),
    (0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 1.02, 1.05, 1.1, 1.2, 1.25, 1.5, 3.0),
)


def _ratio_text(value: float) -> str:
    return f"{value:.2f}x" if value < 10 else f"{value:.3g}x"


def _ratio_limits(values: Sequence[float], label_chars: int) -> tuple[float, float]:
    """Log-axis limits around ``values`` and 1, with room on both sides for bar labels of up to
    ``label_chars`` characters (at fontsize 7 a character is ~1.3% of a panel's width)."""
    lo, hi = min([*values, 1.0]), max([*values, 1.0])
    share = 0.02 + 0.013 * label_chars  # of the panel's width, each side
    span = max(math.log(hi / lo), math.log(1.1))
    room = math.exp(span * share / (1 - 2 * share))
    return lo / room, hi * room


def _ratio_ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    """At most about ``most`` round ratios between ``lo`` and ``hi``, 1 always among them."""
    gap = math.log(hi / lo) / most
    kept = [1.0]
    for tier in TICKS:
        for tick in sorted(tier, key=lambda t: abs(math.log(t))):  # nearest to 1 first
            if lo <= tick <= hi and all(abs(math.log(tick / k)) >= gap for k in kept):
                kept.append(tick)
    return sorted(kept)


def _pyplot() -> Any:
    try:  # imported here: matplotlib is optional, and only --plot needs it
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise BenchError(
            "--plot needs matplotlib, which is not installed in this environment: "
            "pip install matplotlib (the hatch `milestones` environment has it)"
        ) from None


@dataclass(frozen=True)
class _Bar:
    y: float
    ratio: float
    label: str


def _bars(
    run: Run, baseline: Run, keys: Sequence[str], panel: str, norm: Normalisation | None, shift: float
) -> list[_Bar]:
    """One panel's bars of one run, at y = key's index + ``shift``: time (normalised if ``norm``)
    or peak memory, relative to the baseline."""
    bars = []
    factor = 1.0 if norm is None else norm.factor
    noisy = "?" if norm is not None and norm.noisy else ""
    for k, key in enumerate(keys):
        b, base = run.benchmarks.get(key), baseline.benchmarks.get(key)
        if panel == "memory":
            peak, base_peak = _peak(b), _peak(base)
            if peak is not None and base_peak:
                ratio = peak / base_peak
                bars.append(_Bar(k + shift, ratio, f"{_ratio_text(ratio)} ({format_bytes(peak)})"))
            continue
        median, base_median = _median(b), _median(base)
        if median is not None and base_median and factor is not None:
            ratio = median / base_median / factor
            bars.append(_Bar(k + shift, ratio, _ratio_text(ratio) + noisy))
    return bars


def _legend_label(run: Run, baseline: Run, norm: Normalisation | None) -> str:
    if run is baseline:
        return f"{run.name} (baseline)"
    if norm is None:
        return run.name
    if norm.factor is None:
        return f"{run.name} (time not normalisable: no controls)"
    return f"{run.name} (machine {norm.factor:.2f}x{', noisy controls' if norm.noisy else ''})"


def _draw_panel(
    ax: Any,
    runs: Sequence[Run],
    baseline: Run,
    keys: Sequence[str],
    panel: str,
    norms: Sequence[Normalisation] | None,
) -> None:
    """One panel: per key, one labelled bar per run, growing from 1 (the baseline): left of it is
    better, right is worse."""
    colors = importlib.import_module("matplotlib.pyplot").get_cmap("tab10" if len(runs) <= 10 else "tab20")
    height = 0.8 / len(runs)
    ratios: list[float] = []
    labels: list[str] = []
    for i, run in enumerate(runs):
        norm = None if norms is None else norms[i]
        bars = _bars(run, baseline, keys, panel, norm, shift=(i - (len(runs) - 1) / 2) * height)
        drawn = ax.barh(
            [b.y for b in bars],
            [b.ratio - 1 for b in bars],
            left=1,
            height=height,
            color=colors(i % colors.N),
            label=_legend_label(run, baseline, norm),
        )
        ax.bar_label(drawn, [b.label for b in bars], padding=3, fontsize=7)
        ratios += [b.ratio for b in bars]
        labels += [b.label for b in bars]
    _ratio_axis(ax, ratios, max((len(t) for t in labels), default=0))
    ax.set_ylim(len(keys) - 0.5, -0.5)  # first key on top, no empty margin


def _ratio_axis(ax: Any, ratios: Sequence[float], label_chars: int) -> None:
    """A log axis whose limits and ticks come from the ratios drawn (labelled 0.98x, 1x, ...)."""
    ticker = importlib.import_module("matplotlib.ticker")
    lo, hi = _ratio_limits(ratios, label_chars)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(ticker.FixedLocator(_ratio_ticks(lo, hi)))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}x"))
    ax.xaxis.set_minor_locator(ticker.NullLocator())


def figure(runs: Sequence[Run], baseline: Run, select: str | None = None, normalise: bool = True) -> Any:
    """The matplotlib figure of :func:`plot`: per student or guide benchmark, each run's time
    (normalised unless ``normalise`` is false) and peak memory relative to the baseline, every bar
    labelled with its ratio. Baselines and controls are not drawn (a note says so)."""
    plt = _pyplot()
    every = benchmark_keys(runs, select)
    kinds = _kinds(runs, every)
    keys = [k for k in every if kinds[k] in ("student", "guide")]
    if not keys:
        raise BenchError(
            "nothing to plot: no student or guide benchmark (baselines and controls are not drawn)"
        )
    norms = _normalisations(runs, baseline) if normalise else None
    title = _plot_title(baseline, norms, normalise)
    # Inches from the top: the title, then the legend, then the panels' titles; fixed, however
    # many benchmarks make the figure tall.
    legend_at = 0.15 + 0.2 * (title.count("\n") + 1)
    top = legend_at + 0.18 * math.ceil(len(runs) / 3)
    inches = top + 0.5 + 0.45 * len(keys) * max(1, len(runs) / 2)
    fig, axes = plt.subplots(1, 2, figsize=(15, inches), sharey=True)
    titles = {
        "time": "median time / baseline, " + ("normalised" if norms is not None else "raw"),
        "memory": "peak memory / baseline, not normalised",
    }
    for ax, (panel, panel_title) in zip(axes, titles.items(), strict=True):
        _draw_panel(ax, runs, baseline, keys, panel, norms)
        ax.set_title(f"{panel_title} (lower is better)", fontsize=10)
    axes[0].set_yticks(range(len(keys)), keys, fontsize=8)
    fig.suptitle(title, y=1 - 0.1 / inches, va="top", fontsize=11)
    handles, labels = axes[0].get_legend_handles_labels()
    anchor = (0.5, 1 - legend_at / inches)
    fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=8, bbox_to_anchor=anchor)
    fig.text(0.01, 0.1 / inches, _not_drawn(kinds), fontsize=8, va="bottom")
    fig.tight_layout(rect=(0, 0.35 / inches, 1, 1 - top / inches))
    return fig


def _plot_title(baseline: Run, norms: Sequence[Normalisation] | None, normalise: bool) -> str:
    if not normalise:
        return f"Raw times (--raw), not normalised by the machine's speed; baseline {baseline.name}"
    if norms is None:
        return f"Raw times, NOT normalised: the baseline {baseline.name} measured no control benchmark"
    used = ", ".join(_short(k) for k in run_controls(baseline))
    noisy = "\n? = normalised by noisy controls: unreliable" if any(n.noisy for n in norms) else ""
    return f"Times normalised by the controls measured in each run ({used}); baseline {baseline.name}{noisy}"


def _not_drawn(kinds: dict[str, str]) -> str:
    """The note that says which benchmarks the plot leaves out."""
    baselines = sum(k == "baseline" for k in kinds.values())
    controls = [_short(key) for key, k in kinds.items() if k == "control"]
    left_out = [f"{baselines} baseline benchmark{'s' if baselines != 1 else ''}"] if baselines else []
    left_out += [f"the controls ({', '.join(controls)})"] if controls else []
    note = f"Not drawn (not the student's code): {' and '.join(left_out)}. " if left_out else ""
    return note + "Bars start at 1, the baseline run."


def plot(
    runs: Sequence[Run], baseline: Run, path: Path, select: str | None = None, normalise: bool = True
) -> None:
    """Write :func:`figure` to ``path`` (PNG); :class:`BenchError` without matplotlib."""
    fig = figure(runs, baseline, select, normalise)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    importlib.import_module("matplotlib.pyplot").close(fig)


def compare(
    refs: Sequence[str],
    storage: Path,
    *,
    baseline: str | None = None,
    plot_path: Path | None = None,
    select: str | None = None,
    normalise: bool = True,
) -> str:
    """The comparison text (and the plot if asked); :class:`BenchError` on a bad reference.

    Times are normalised by the controls unless ``normalise`` is false (``--raw``). A run file
    that is not a valid pytest-benchmark run (:func:`load_run`) is left out and the others are
    compared: :class:`RefusedRunsError` then carries the errors and the comparison (``.text``). If the
    baseline (``baseline``, or else the first run) is refused, nothing is compared: BenchError."""
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
    base_path = paths[0] if base_path is None else base_path
    runs, refused = [], []
    for path in paths:
        try:
            runs.append(load_run(path))
        except BenchError as err:
            if path == base_path:  # every ratio is relative to it: nothing to compare
                how = "--baseline" if baseline is not None else "the first run (choose one with --baseline)"
                raise BenchError(f"{err}\n  this is the baseline, {how}: nothing compared") from None
            refused.append(err)
    _name_runs(runs)
    base = next(r for r in runs if r.path == base_path)
    text = compare_table(runs, base, select, normalise)
    if plot_path is not None:
        plot(runs, base, plot_path, select, normalise)
        text += f"\n\nPlot written to {plot_path}"
    if refused:
        raise RefusedRunsError(refused, text)
    return text


def with_controls(pytest_args: Sequence[str]) -> list[str]:
    """``pytest_args`` with every ``-k EXPR`` widened to ``(EXPR) or <each control>``: a run of
    some benchmarks still measures the controls, so that it can be normalised."""
    names = " or ".join(key.split("::")[-1] for key in CONTROLS)
    args = list(pytest_args)
    for i, arg in enumerate(args):
        if arg == "-k" and i + 1 < len(args):
            args[i + 1] = f"({args[i + 1]}) or {names}"
        elif arg.startswith("-k") and len(arg) > 2 and (i == 0 or args[i - 1] != "-k"):
            args[i] = f"-k({arg[2:]}) or {names}"
    return args


def run_benchmarks(root: Path, name: str, pytest_args: Sequence[str], python: str = sys.executable) -> int:
    """Run ``benchmarks/run.py --name NAME`` at ``root`` and say where the run was saved.

    A ``-k`` selection is widened to include the controls (:func:`with_controls`).
    Returns pytest's exit code."""
    if not LABEL.fullmatch(name):
        raise BenchError(f"--name {name!r}: use letters, digits, '.', '_' and '-'")
    script = root / "benchmarks" / "run.py"
    if not script.is_file():
        raise BenchError(f"{script} does not exist: run this in a TinyTorch repository")
    storage = root / ".benchmarks"
    before = set(storage_runs(storage))
    code = subprocess.run(
        [python, str(script), "--name", name, *with_controls(pytest_args)], cwd=root, check=False
    ).returncode
    for path in sorted(set(storage_runs(storage)) - before):
        print(f"\nSaved as {path} (machine and commit recorded by pytest-benchmark).")
        print(f"Compare: tinytorch bench compare {path.stem} [OTHER RUNS] [--baseline RUN] [--plot FILE.png]")
    return code
