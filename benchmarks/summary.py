"""Summary tables of one pytest-benchmark JSON file (a run of the benchmark suite).

Usage: `python benchmarks/summary.py .benchmarks/<machine>/0001_alice.json`
(benchmarks/run.py prints the same tables at the end of every run).

Everything is read from the JSON: each benchmark's `extra_info` holds its role
("tinytorch", "baseline" or "guide"), its peak memory (memray) and, for the
tinytorch side of a target, the target itself, so an old run is summarised
against the targets it was run with.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from tinytorch.core.profiling import format_bytes, format_seconds

Bench = dict[str, Any]

# extra_info keys shown as columns (or in the title), not repeated as notes.
SHOWN = {
    "role",
    "peak_memory_bytes",
    "numpy_threads",
    "torch_threads",
    "target",
    "target_max_ratio",
    "baseline",
    "others_cpu_share",
}
BUSY = 0.05  # warn when other processes used more than 5% of the machine during a benchmark


def fmt_bytes(n: float | None) -> str:
    return "-" if n is None else format_bytes(n)


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def median(b: Bench) -> float:
    return float(b["stats"]["median"])


def time_text(b: Bench) -> str:
    """The median, plus the time per op when the benchmark runs many ops per call."""
    text = format_seconds(median(b))
    ops = b["extra_info"].get("ops_per_call")
    return f"{text} ({format_seconds(median(b) / ops)}/op)" if ops else text


def short_name(b: Bench) -> str:
    return b["name"].removeprefix("test_guide_").removeprefix("test_")


def notes(b: Bench) -> str:
    info = b["extra_info"]
    parts = []
    for key, value in info.items():
        if key in SHOWN:
            continue
        if key.endswith("nbytes") or key.endswith("_bytes"):
            value = fmt_bytes(value)
        parts.append(f"{key}={value}")
    if info.get("elements") and info.get("peak_memory_bytes") is not None:
        parts.append(f"peak/element={info['peak_memory_bytes'] / info['elements']:.2f} B")
    return ", ".join(parts)


TARGET_HEADER = [
    "group",
    "tinytorch",
    "peak mem",
    "baseline",
    "baseline time",
    "baseline peak",
    "ratio",
    "target",
    "status",
]


def target_rows(groups: dict[str, list[Bench]]) -> list[list[str]]:
    rows = []
    for name, benches in groups.items():
        ours = [b for b in benches if b["extra_info"].get("role") == "tinytorch"]
        if not ours:
            continue
        tt = ours[0]
        info = tt["extra_info"]
        base = next((b for b in benches if b["extra_info"].get("role") == "baseline"), None)
        row = [name, time_text(tt), fmt_bytes(info.get("peak_memory_bytes")), info.get("baseline", "?")]
        if base is None:
            row += ["not measured", "-", "-", info.get("target", "-"), "not measured"]
        else:
            ratio = median(tt) / median(base)
            status = "met" if ratio <= info["target_max_ratio"] else "MISSED"
            if is_busy(tt) or is_busy(base):
                status += " (busy machine)"
            row += [time_text(base), fmt_bytes(base["extra_info"].get("peak_memory_bytes"))]
            row += [f"{ratio:.2f}", f"{info['target']} (ratio <= {info['target_max_ratio']:.3g})", status]
        rows.append(row)
    return rows


def guide_rows(groups: dict[str, list[Bench]]) -> list[list[str]]:
    rows = []
    for name, benches in groups.items():
        if any(b["extra_info"].get("role") == "tinytorch" for b in benches):
            continue
        base = next((b for b in benches if b["extra_info"].get("role") == "baseline"), None)
        for b in benches:
            speedup = "-" if base is None or b is base else f"{median(base) / median(b):.1f}x"
            peak = fmt_bytes(b["extra_info"].get("peak_memory_bytes"))
            versus = "baseline" if b is base else speedup
            rows.append([name, short_name(b), format_seconds(median(b)), peak, versus, notes(b)])
    return rows


def summarize(run: dict[str, Any]) -> str:
    """Both tables as text: targets (tinytorch vs baseline), then the guide measurements."""
    groups: dict[str, list[Bench]] = defaultdict(list)
    for b in run["benchmarks"]:
        groups[b["group"] or b["name"]].append(b)
    machine = run.get("machine_info", {})
    threads = f"NumPy threads {machine.get('numpy_threads')}, PyTorch threads {machine.get('torch_threads')}"
    parts = [
        f"Benchmark summary ({run.get('datetime', '?')}; {threads}; medians, peak memory by memray)",
        "",
        "Targets: ratio = tinytorch median / baseline median",
        table(TARGET_HEADER, target_rows(groups)),
        "",
        "Guide measurements: speed-up = baseline median / median",
        table(["group", "benchmark", "median", "peak mem", "speed-up", "notes"], guide_rows(groups)),
        *busy_warning(run["benchmarks"]),
    ]
    return "\n".join(parts)


def is_busy(b: Bench) -> bool:
    return (b["extra_info"].get("others_cpu_share") or 0.0) > BUSY


def busy_warning(benches: list[Bench]) -> list[str]:
    """Lines naming the benchmarks that ran while other processes were busy."""
    busy = [b for b in benches if is_busy(b)]
    if not busy:
        return []
    listed = ", ".join(f"{b['name']} ({b['extra_info']['others_cpu_share']:.0%})" for b in busy)
    return ["", f"WARNING: other processes used the CPU during {listed}; rerun on an idle machine."]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    print(summarize(json.loads(Path(argv[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
