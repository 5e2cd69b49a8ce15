"""tinytorch release: solution stripping, refusals, the CLI, and a release of the real repository.

Fixture sources spell markers as ``<<BEGIN NN`` / ``<<END`` and :func:`src` turns them
into real markers, so this file holds no marker line of its own (it is released too).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from tinytorch.course.cli import main
from tinytorch.course.release import MarkerError, ReleaseError, read_stamp, release, strip_source

MARK = "#" * 3


def src(text: str) -> str:
    """Fixture text with ``<<BEGIN NN`` / ``<<END`` turned into solution markers."""
    return text.replace("<<BEGIN", f"{MARK} BEGIN SOLUTION").replace("<<END", f"{MARK} END SOLUTION")


def nie(module: str, name: str, guide: str) -> str:
    return f'raise NotImplementedError("Module {module} ({name}): write this in {guide}")'


A_PY = src('''\
"""Module docstring, outside every block."""


def relu(x):
    """Keep the positives."""
    <<BEGIN 03
    return max(x, 0)
    <<END


class Net:
    def forward(self, x):
        """Forward pass."""
        y = x
        <<BEGIN 05
        for _ in range(2):
            if y > 0:
                y = y * 2
        <<END
        return y

    def backward(self, g):
        <<BEGIN 12
        return g
        <<END
''')

A_PY_THROUGH_4 = f'''\
"""Module docstring, outside every block."""


def relu(x):
    """Keep the positives."""
    {MARK} BEGIN SOLUTION 03
    return max(x, 0)
    {MARK} END SOLUTION


class Net:
    def forward(self, x):
        """Forward pass."""
        y = x
        {nie("05", "autograd", "packages/tt-core/guides/05-autograd.md")}
        return y

    def backward(self, g):
        {nie("12", "training techniques", "packages/tt-train/guides/12-training-techniques.md")}
'''

A_PY_THROUGH_0 = A_PY_THROUGH_4.replace(
    f"""    {MARK} BEGIN SOLUTION 03
    return max(x, 0)
    {MARK} END SOLUTION
""",
    f"    {nie('03', 'activations', 'packages/tt-nn/guides/03-activations.md')}\n",
)


def make_repo(root: Path, a_py: str = A_PY) -> Path:
    """A tiny repository: hatch.toml, one package with a.py, a README, a script, caches."""
    (root / "packages/x/src/x").mkdir(parents=True)
    (root / "hatch.toml").write_text("[envs.default]\n")
    (root / "packages/x/src/x/a.py").write_text(a_py)
    (root / "packages/x/README.md").write_text(src("docs mention\n<<BEGIN 09\nkept as is\n"))
    script = root / "packages/x/run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    (root / "milestones").mkdir()
    (root / "milestones/m.py").write_text(src("<<BEGIN 07\nx = 1\n<<END\n"))  # outside packages/: stripped
    (root / "instructor/answers").mkdir(parents=True)
    (root / "instructor/answers/07.md").write_text("the key\n")
    (root / "packages/x/tests/instructor").mkdir(parents=True)
    (root / "packages/x/tests/instructor/make.py").write_text("secret = 1\n")
    for cache in (".git", "__pycache__", ".pytest_cache", "packages/x/src/x.egg-info", "dist"):
        (root / cache).mkdir(parents=True)
        (root / cache / "junk").write_text("junk")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


# ------------------------------------------------------------------ stripping


def test_strip_through_4_exact_output(repo: Path, tmp_path: Path) -> None:
    result = release(repo, tmp_path / "out", 4)
    assert (tmp_path / "out/packages/x/src/x/a.py").read_text() == A_PY_THROUGH_4
    assert result.stripped == {5: 1, 7: 1, 12: 1}
    assert result.files_stripped == 2


def test_strip_through_0_strips_everything(repo: Path, tmp_path: Path) -> None:
    result = release(repo, tmp_path / "out", 0)
    assert (tmp_path / "out/packages/x/src/x/a.py").read_text() == A_PY_THROUGH_0
    assert result.stripped == {3: 1, 5: 1, 7: 1, 12: 1}


def test_strip_through_15_keeps_everything(repo: Path, tmp_path: Path) -> None:
    result = release(repo, tmp_path / "out", 15)
    assert (tmp_path / "out/packages/x/src/x/a.py").read_text() == A_PY
    assert result.stripped == {}


def test_stripped_file_compiles(repo: Path, tmp_path: Path) -> None:
    release(repo, tmp_path / "out", 0)
    compile((tmp_path / "out/packages/x/src/x/a.py").read_text(), "a.py", "exec")


def test_non_py_and_outside_packages_copied_unchanged(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    release(repo, out, 0)
    for rel in ("hatch.toml", "packages/x/README.md", "packages/x/run.sh"):
        assert (out / rel).read_bytes() == (repo / rel).read_bytes(), rel
    guide = "packages/tt-train/guides/07-optimizers.md"
    assert (out / "milestones/m.py").read_text() == nie("07", "optimizers", guide) + "\n"


def test_instructor_folders_dropped_and_stamp_written(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    release(repo, out, 4)
    assert not (out / "instructor").exists() and not (out / "packages/x/tests/instructor").exists()
    assert read_stamp(out) == 4 and read_stamp(repo) is None
    again = tmp_path / "again"
    release(out, again, 15)  # a release of a release holds no more than its source
    assert read_stamp(again) == 4


def test_caches_skipped(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    release(repo, out, 4)
    copied = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    sheets = [c for c in copied if c.startswith("answers/")]
    assert len(sheets) == 15 and "answers/05-autograd.md" in sheets  # one answer sheet per module
    assert [c for c in copied if c not in sheets] == [
        "RELEASE.json",
        "hatch.toml",
        "milestones/m.py",
        "packages/x/README.md",
        "packages/x/run.sh",
        "packages/x/src/x/a.py",
    ]


def test_file_modes_preserved(repo: Path, tmp_path: Path) -> None:
    (repo / "packages/x/src/x/a.py").chmod(0o750)
    release(repo, tmp_path / "out", 0)
    assert stat.S_IMODE(os.stat(tmp_path / "out/packages/x/run.sh").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "out/packages/x/src/x/a.py").st_mode) == 0o750


def test_crlf_line_endings_preserved() -> None:
    text = src("def f():\r\n    <<BEGIN 05\r\n    return 1\r\n    <<END\r\n")
    new, counts = strip_source(text, 4)
    assert (
        new == "def f():\r\n    " + nie("05", "autograd", "packages/tt-core/guides/05-autograd.md") + "\r\n"
    )
    assert counts == {5: 1}


def test_tabs_indentation_kept() -> None:
    text = src("def f():\n\t<<BEGIN 13\n\treturn 1\n\t<<END\n")
    new, _ = strip_source(text, 12)
    assert new == "def f():\n\t" + nie("13", "attention", "packages/tt-text/guides/13-attention.md") + "\n"


# ------------------------------------------------------------------ bad markers


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("x = 1\n<<BEGIN 05\ny = 2\n", 2, "without END"),
        ("x = 1\n<<END\n", 2, "without BEGIN"),
        ("<<BEGIN 05\n<<BEGIN 06\n<<END\n<<END\n", 2, "nested"),
        ("<<BEGIN 16\n<<END\n", 1, "outside 01..15"),
        ("<<BEGIN 00\n<<END\n", 1, "outside 01..15"),
        ("<<BEGIN 5\n<<END\n", 1, "two-digit"),
        ("<<BEGIN 005\n<<END\n", 1, "two-digit"),
        ("<<BEGIN\n<<END\n", 1, "two-digit"),
        ("def f():\n    <<BEGIN 05\n    pass\n<<END\n", 4, "indented differently"),
        ("#<<BEGIN 07\nx = 1\n<<END\n", 1, "looks like a solution marker"),
        ("  ## BEGIN SOLUTION 07\nx = 1\n", 1, "looks like a solution marker"),
        ("# begin solution 07\nx = 1\n", 1, "looks like a solution marker"),
        ("<<BEGIN 07\nx = 1\n#### END  SOLUTION\n", 3, "looks like a solution marker"),
        ("x = 1\n    # BEGIN_SOLUTION 07\n", 2, "looks like a solution marker"),
    ],
)
def test_bad_markers_rejected_with_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "packages/x/src/x/bad.py").write_text(src(text))
    out = tmp_path / "out"
    with pytest.raises(MarkerError, match=words) as info:
        release(repo, out, 4)
    assert str(info.value).startswith(f"packages/x/src/x/bad.py:{line}: ")
    assert not out.exists()  # validated before writing


def test_bad_markers_in_kept_modules_rejected_too() -> None:
    with pytest.raises(MarkerError, match=r"<string>:1: .*without END"):
        strip_source(src("<<BEGIN 01\n"), 15)


# ------------------------------------------------------------------ refusals


def test_non_utf8_py_refused_with_file_and_line(tmp_path: Path) -> None:
    """A .py file that is not UTF-8 cannot be stripped: refused by file and line, nothing written."""
    repo = make_repo(tmp_path / "repo")
    (repo / "packages/x/src/x/latin1.py").write_bytes(b"x = 1\nname = 'Jos\xe9'\n")
    out = tmp_path / "out"
    with pytest.raises(MarkerError, match=r"not UTF-8 \(invalid continuation byte at byte 17\)") as info:
        release(repo, out, 4)
    assert str(info.value).startswith("packages/x/src/x/latin1.py:2: ")
    assert not out.exists()  # validated before writing


def test_non_empty_out_refused(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not empty"):
        release(repo, out, 4)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_empty_existing_out_accepted(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    release(repo, tmp_path / "out", 4)
    assert (tmp_path / "out/hatch.toml").is_file()


@pytest.mark.parametrize(("below", "refused"), [("a-file/out", "a-file"), ("a-file/deeper/out", "a-file")])
def test_out_below_an_existing_file_refused(repo: Path, tmp_path: Path, below: str, refused: str) -> None:
    (tmp_path / "a-file").write_text("mine")
    with pytest.raises(ReleaseError) as info:
        release(repo, tmp_path / below, 4)
    assert (
        str(info.value) == f"output path {tmp_path / below}: {tmp_path / refused} exists and is not a folder"
    )
    assert (tmp_path / "a-file").read_text() == "mine"


def test_out_an_existing_file_refused(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("mine")
    with pytest.raises(ReleaseError, match="exists and is not a folder"):
        release(repo, tmp_path / "out", 4)
    assert (tmp_path / "out").read_text() == "mine"


@pytest.mark.parametrize("inside", [".", "packages/release", "new/deeper"])
def test_out_inside_source_refused(repo: Path, inside: str) -> None:
    with pytest.raises(ReleaseError, match="inside the source tree"):
        release(repo, repo / inside, 4)
    assert not (repo / "new").exists()
    assert not (repo / "packages/release").exists()


@pytest.mark.parametrize("through", [-1, 16, 99])
def test_through_out_of_range_refused(repo: Path, tmp_path: Path, through: int) -> None:
    with pytest.raises(ReleaseError, match=r"0\.\.15"):
        release(repo, tmp_path / "out", through)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ CLI


def test_cli_release(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["release", "--through", "4", "--out", str(out), "--root", str(repo)]) == 0
    printed = capsys.readouterr().out
    assert printed == (
        f"Released {repo} through module 04 into {out}: copied 5 files and stripped 3 solution blocks "
        "in 2 files: 05 autograd (1 block), 07 optimizers (1 block), 12 training techniques (1 block); "
        "modules 01-04 keep their "
        f"solutions. Next steps: cd {out} && hatch run test (tests of modules > 04 fail until the "
        "student writes them).\n"
    )


def test_cli_finds_root_from_cwd(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "packages/x/src")
    assert main(["release", "--through", "15", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out/packages/x/src/x/a.py").read_text() == A_PY


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--through", "16"], "0..15"),
        (["--through", "4", "--bad-markers"], "without END"),
        (["--through", "4", "--inside"], "inside the source tree"),
        (["--through", "4", "--full"], "not empty"),
        (["--through", "4", "--latin1"], "packages/x/src/x/latin1.py:1: not UTF-8"),
        (["--through", "4", "--below-a-file"], "a-file exists and is not a folder"),
    ],
)
def test_cli_refusals_exit_2(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    if "--bad-markers" in args:
        (repo / "packages/x/src/x/bad.py").write_text(src("<<BEGIN 05\n"))
    if "--inside" in args:
        out = repo / "release"
    if "--full" in args:
        out.mkdir()
        (out / "f").write_text("")
    if "--latin1" in args:
        (repo / "packages/x/src/x/latin1.py").write_bytes(b"name = 'Jos\xe9'\n")
    if "--below-a-file" in args:
        (tmp_path / "a-file").write_text("")
        out = tmp_path / "a-file" / "out"
    argv = ["release", *args[:2], "--out", str(out), "--root", str(repo)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tinytorch release: error: ") and message in err


@pytest.mark.parametrize("argv", [[], ["release"], ["release", "--through", "x", "--out", "o"], ["nope"]])
def test_cli_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_cli_no_repository_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["release", "--through", "4", "--out", str(tmp_path / "out")]) == 2
    assert "no hatch.toml" in capsys.readouterr().err


# ------------------------------------------------------------------ the real repository


def test_release_real_repository_through_4(tmp_path: Path) -> None:
    root = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())
    out = tmp_path / "rel4"
    result = release(root, out, 4)
    already = read_stamp(root)  # this test also runs inside a student's release of the repository
    if already is None or already > 4:
        assert result.stripped and min(result.stripped) >= 5
    assert read_stamp(out) == min(4, 15 if already is None else already)
    assert not (out / "instructor").exists()
    assert len(list((out / "answers").glob("[01][0-9]-*.md"))) == 15
    later = re.compile(rf"^[ \t]*{MARK} BEGIN SOLUTION (0[5-9]|1[0-5])\b", re.MULTILINE)
    raised = re.compile(r'^[ \t]*raise NotImplementedError\("Module \d\d ', re.MULTILINE)
    stripped = 0
    for path in (out / "packages").rglob("*.py"):
        text = path.read_text()
        assert not later.search(text), path
        compile(text, str(path), "exec")
        stripped += bool(raised.search(text))
    assert stripped >= result.files_stripped and (stripped == result.files_stripped or already is not None)
    autograd = (out / "packages/tt-core/src/tinytorch/core/autograd.py").read_text()
    assert "Module 05 (autograd): write this in packages/tt-core/guides/05-autograd.md" in autograd
    compile(autograd, "autograd.py", "exec")
