"""tinytorch doctor: data lookup order, checksums, package checks, and a real probe of this environment."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tinytorch.course import doctor as doctor_module
from tinytorch.course.catalog import PACKAGES
from tinytorch.course.cli import main
from tinytorch.course.doctor import FAIL, OK, WARN, data_folders, doctor, find_data_file, numpy_probe


def test_lookup_order(tmp_path: Path) -> None:
    env = {"TINYTORCH_DATA": str(tmp_path / "data"), "TINYTORCH_CACHE": str(tmp_path / "cache")}
    assert data_folders(env) == [
        ("$TINYTORCH_DATA", tmp_path / "data"),
        ("$TINYTORCH_CACHE", tmp_path / "cache"),
    ]
    assert data_folders({"XDG_CACHE_HOME": str(tmp_path)}) == [("user cache", tmp_path / "tinytorch")]
    assert data_folders({}) == [("user cache", Path.home() / ".cache/tinytorch")]
    for folder in ("data", "cache"):
        (tmp_path / folder / "x").mkdir(parents=True)
        (tmp_path / folder / "x/f.txt").write_text(folder)
    assert find_data_file("x/f.txt", env) == ("$TINYTORCH_DATA", tmp_path / "data/x/f.txt")
    (tmp_path / "data/x/f.txt").unlink()
    assert find_data_file("x/f.txt", env) == ("$TINYTORCH_CACHE", tmp_path / "cache/x/f.txt")
    assert find_data_file("x/none.txt", env) is None


def test_data_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = b"good bytes"
    monkeypatch.setattr(
        doctor_module,
        "DATASETS",
        {
            "Good": ("tt-core", {"d/good.bin": hashlib.sha256(good).hexdigest()}),
            "Bad": ("tt-core", {"d/bad.bin": hashlib.sha256(b"expected").hexdigest()}),
            "Missing": ("tt-core", {"d/missing.bin": "0" * 64}),
            "Unneeded": ("tt-text", {"d/other.bin": "0" * 64}),
        },
    )
    (tmp_path / "d").mkdir()
    (tmp_path / "d/good.bin").write_bytes(good)
    (tmp_path / "d/bad.bin").write_bytes(b"tampered")
    present = {d: None for d in PACKAGES} | {"tt-core": object()}
    checks = doctor_module._data_checks(present, {"TINYTORCH_DATA": str(tmp_path)})  # type: ignore[arg-type]
    by_set = {c.what.split(":")[0]: c for c in checks}
    assert by_set["Good"].status == OK and "sha256 verified" in by_set["Good"].what
    assert by_set["Bad"].status == FAIL and by_set["Bad"].fix.startswith(f"delete {tmp_path / 'd/bad.bin'}")
    assert by_set["Missing"].status == WARN and "TINYTORCH_DATA" in by_set["Missing"].fix
    assert by_set["Unneeded"].status == OK and "not needed: tt-text not installed" in by_set["Unneeded"].what
    missing_folder = doctor_module._data_checks(present, {"TINYTORCH_DATA": str(tmp_path / "nope")})  # type: ignore[arg-type]
    assert missing_folder[0].status == FAIL and "is not a folder" in missing_folder[0].what


def test_numpy_probe_runs_in_a_subprocess() -> None:
    probe = numpy_probe()
    assert isinstance(probe["numpy"], str) and probe["python"] == sys.version.split()[0]
    assert probe["blas_threads"] is None or isinstance(probe["blas_threads"], int)


def test_course_tools_never_import_numpy_or_a_phase_package() -> None:
    code = (
        "import sys\n"
        "from tinytorch.course import bench, check, cli, doctor, grade, status, testing\n"
        "doctor.doctor()\n"
        "bad = [m for m in sys.modules if m == 'numpy' or m.split('.')[:2] in "
        "[['tinytorch', p] for p in ('core', 'nn', 'train', 'vision', 'text')]]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_doctor_in_this_environment(capsys: pytest.CaptureFixture[str]) -> None:
    checks, code = doctor()
    assert any(c.status == OK and c.what.startswith("NumPy ") for c in checks)
    assert any(c.what.startswith("tt-course ") for c in checks)
    assert main(["doctor"]) == code
    assert "required" in capsys.readouterr().out.splitlines()[-1]


def test_missing_tt_core_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(doctor_module, "installed_packages", lambda: {d: None for d in PACKAGES})
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  tt-core is not installed" in out
    assert "warn  tt-nn is not installed" in out
