"""Every shell command in a module guide runs as written from the root of a student copy.

A guide's commands are its fenced ``bash``/``sh``/``shell``/``console`` blocks and the inline
code spans that start with a command (``hatch``, ``tinytorch``, ``python``, ``pytest``, a
``$VARIABLE``), after any ``NAME=value`` assignments. Each command must use no shell variable
that is neither set earlier in its block nor documented (:data:`DOCUMENTED`), no absolute
temporary path, only environments and scripts that hatch.toml defines (or executables the
environment installs), only ``tinytorch`` subcommands and arguments the CLI's own parser
accepts, and only ``python`` scripts and ``pytest`` paths that exist in the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tinytorch.course.cli import _parser

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())
GUIDES = sorted(ROOT.glob("packages/*/guides/[0-9][0-9]-*.md"))

#: Environment variables the guides document (the data directory, the cache) or the shell sets.
DOCUMENTED = frozenset({"TINYTORCH_DATA", "TINYTORCH_CACHE", "XDG_CACHE_HOME", "HOME", "PWD"})
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console", "zsh"})
COMMAND_WORDS = frozenset({"hatch", "tinytorch", "python", "python3", "pytest"})
#: Executables a dependency installs under another name than its own.
EXECUTABLES = {"import-linter": "lint-imports"}

_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_SETS = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)="
    r"|\bfor\s+([A-Za-z_]\w*)\s+in\b|\bread\s+(?:-\w+\s+)*([A-Za-z_]\w*)"
)
_USES = re.compile(r"\$(?:\{([A-Za-z_]\w*)|([A-Za-z_]\w*))")
_TEMPORARY = re.compile(r"(?<![\w.~-])/(?:var/)?tmp/")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})


# ------------------------------------------------------------------ the guide's commands


def commands(text: str) -> list[tuple[int, str, bool | None]]:
    """(line, text, in_block) of every command: fenced shell blocks whole, inline spans one by one.

    Also returns, with ``in_block`` None, every other piece of code (spans and fenced blocks
    of any language), which the temporary-path check reads too.
    """
    found: list[tuple[int, str, bool | None]] = []
    prose: list[str] = []
    fence: tuple[int, str, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("```"):
            if fence is None:
                fence = (number, stripped[3:].strip().split(" ")[0].lower(), [])
            else:
                start, language, body = fence
                if language in SHELL_LANGUAGES:
                    found.append((start + 1, _shell_lines(body, language == "console"), True))
                else:
                    found.append((start + 1, "\n".join(body), None))
                fence = None
            prose.append("")
        elif fence is not None:
            fence[2].append(line)
            prose.append("")
        else:
            prose.append(line)
    joined = "\n".join(prose)
    for match in _SPAN.finditer(joined):
        span = " ".join(match.group(2).split())
        at = joined.count("\n", 0, match.start()) + 1
        found.append((at, span, False if _is_command(span) else None))
    return sorted(found)


def _shell_lines(body: list[str], console: bool) -> str:
    """A block's commands: prompts dropped (console: output lines too), continuations joined."""
    lines = []
    for line in body:
        if console:
            if not line.lstrip().startswith(("$ ", "% ")):
                continue
            line = line.lstrip()[2:]
        lines.append(line)
    return re.sub(r"\\\n", " ", "\n".join(lines))


def _is_command(span: str) -> bool:
    words = span.split()
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    return bool(words) and (words[0] in COMMAND_WORDS or re.fullmatch(r"\$\{?\w+\}?", words[0]) is not None)


def _blank_quoted(text: str) -> str:
    """``text`` with single-quoted strings and comments blanked (no expansion happens there)."""
    out, quote, previous = [], "", " "
    for char in text:
        if quote == "'":
            quote = "" if char == "'" else quote
            out.append(" " if char != "\n" else char)
        elif quote == "#":
            quote = "" if char == "\n" else quote
            out.append(char if char == "\n" else " ")
        else:
            if char == '"' and previous != "\\":
                quote = "" if quote == '"' else '"'
            elif char == "'" and not quote:
                quote = "'"
            elif char == "#" and not quote and previous.isspace():
                quote = "#"
            out.append(" " if quote in ("'", "#") else char)
        previous = char
    return "".join(out)


# ------------------------------------------------------------------ what a command may name


def hatch_environments(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each environment's scripts, executables and workspace members, templates applied."""
    envs = {"default": {}, **config.get("envs", {})}

    def resolve(name: str) -> dict[str, Any]:
        env = envs[name]
        template = env.get("template", "default")
        base = resolve(template) if template != name else {"scripts": {}, "deps": [], "members": []}
        return {
            "scripts": {**base["scripts"], **env.get("scripts", {})},
            "deps": [*env.get("dependencies", base["deps"]), *env.get("extra-dependencies", [])],
            "members": env.get("workspace", {}).get("members", base["members"]),
        }

    resolved = {}
    for name in envs:
        env = resolve(name)
        names = {re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0].lower() for dep in env["deps"]}
        executables = {"python", "python3"} | {EXECUTABLES.get(n, n) for n in names}
        if any(fnmatch.fnmatch("packages/tt-course", member) for member in env["members"]):
            executables.add("tinytorch")
        resolved[name] = {"scripts": set(env["scripts"]), "executables": executables}
    return resolved


class Checker:
    """The checks of one repository's guides: its hatch.toml and the ``tinytorch`` parser."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.envs = hatch_environments(tomllib.loads((root / "hatch.toml").read_text(encoding="utf-8")))
        self.parser = _parser()
        action = next(a for a in self.parser._actions if isinstance(a, argparse._SubParsersAction))
        self.subcommands = set(action.choices)

    def problems(self, text: str) -> list[str]:
        """Every problem of a guide's text, as ``line: problem: command``."""
        found = []
        for line, code, kind in commands(text):
            for problem in self._code_problems(code, kind):
                found.append(f"{line}: {problem}: {code.strip()[:160]!r}")
        return found

    def _code_problems(self, code: str, kind: bool | None) -> list[str]:
        problems = []
        if _TEMPORARY.search(code):
            problems.append("an absolute temporary path (use a path relative to the repository)")
        if kind is None:
            return problems
        visible = _blank_quoted(code)
        sets = [(m.start(), next(g for g in m.groups() if g)) for m in _SETS.finditer(visible)]
        for use in _USES.finditer(visible):
            name = use.group(1) or use.group(2)
            if name not in DOCUMENTED and not any(name == n and at < use.start() for at, n in sets):
                problems.append(f"${name} is never set (set it earlier in the block, or spell it out)")
        for line in code.splitlines() if kind else [code]:
            try:
                lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
                lexer.whitespace_split = True
                tokens = list(lexer)
            except ValueError as err:
                problems.append(f"not a shell command ({err})")
                continue
            simple: list[str] = []
            for token in [*tokens, ";"]:
                if token in _SEPARATORS:
                    problems += self._command_problems(simple)
                    simple = []
                else:
                    simple.append(token)
        return problems

    def _command_problems(self, words: list[str]) -> list[str]:
        while words and _ASSIGNMENT.match(words[0]):
            words = words[1:]
        if not words:
            return []
        word, args = words[0], words[1:]
        if word == "hatch":
            return self._hatch(args)
        if word == "tinytorch":
            return self._tinytorch(args)
        if word in ("python", "python3"):
            return self._python(args)
        if word == "pytest":
            return self._pytest(args)
        return []

    def _hatch(self, args: list[str]) -> list[str]:
        env = None
        while args and args[0].startswith("-"):
            option, args = args[0], args[1:]
            if option in ("-e", "--env") and args:
                env, args = args[0], args[1:]
        if not args or args[0] != "run":
            return []
        args = [a for a in args[1:] if a != "--"]
        if not args:
            return ["`hatch run` without a script or command"]
        target, rest = args[0], args[1:]
        if ":" in target:
            env, target = target.split(":", 1)
        env = env or "default"
        if env not in self.envs:
            return [f"hatch.toml has no environment {env!r} (it has {', '.join(sorted(self.envs))})"]
        scripts, executables = self.envs[env]["scripts"], self.envs[env]["executables"]
        if target not in scripts and target not in executables:
            known = ", ".join(sorted(scripts | executables))
            return [f"environment {env!r} has no script or executable {target!r} (it has {known})"]
        if target in scripts:
            return []
        return self._command_problems([target, *rest])

    def _tinytorch(self, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.subcommands:
            return [f"`tinytorch {args[0]}` is not a subcommand ({', '.join(sorted(self.subcommands))})"]
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
                self.parser.parse_args(args)
        except SystemExit as stop:
            if stop.code:
                return [f"tinytorch refuses these arguments: {errors.getvalue().strip().splitlines()[-1]}"]
        return []

    def _python(self, args: list[str]) -> list[str]:
        while args and args[0].startswith("-"):
            option, args = args[0], args[1:]
            if option in ("-c", "-m"):
                return []
            if option in ("-W", "-X") and args:
                args = args[1:]
        if args and not (self.root / args[0]).is_file():
            return [f"python script {args[0]} is not in the repository"]
        return []

    def _pytest(self, args: list[str]) -> list[str]:
        problems = []
        takes_value = {"-m", "-k", "-p", "-c", "-o", "--rootdir", "--deselect", "--ignore", "--ignore-glob"}
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg in takes_value:
                skip = True
            elif not arg.startswith("-") and not list(self.root.glob(arg.split("::")[0])):
                problems.append(f"pytest path {arg} is not in the repository")
        return problems


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(ROOT)


def test_every_module_has_a_guide() -> None:
    numbers = {int(path.name[:2]) for path in GUIDES}
    assert numbers == set(range(1, 16)), f"module guides found: {sorted(numbers)}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_guide_commands_run_as_written(guide: Path, checker: Checker) -> None:
    problems = checker.problems(guide.read_text(encoding="utf-8"))
    where = guide.relative_to(ROOT)
    assert not problems, "\n".join(f"{where}:{problem}" for problem in problems)


GOOD = """\
Run `hatch run test -m module05`, `hatch run oracle:pytest packages/tt-nn/tests -m module03`,
`tinytorch check-leaks`, `OPENBLAS_NUM_THREADS=1 hatch run oracle:python benchmarks/run.py -k x`
and `hatch run python -c "import time; print(time.time())"`; data in `$TINYTORCH_DATA/mnist`.

```bash
out=runs/$(date +%s)  # a comment's 'apostrophe' and $NOT_A_USE
hatch run milestones:xor --out "$out" && echo 'literal $DOLLAR'
```
"""

BAD = """\
Measured with `$PYO benchmarks/run.py` and `python -c "f('/tmp/dl/x.whl')"`.

```console
$ hatch run oracle:nope
not a command, just output: $ALSO_OUTPUT
$ hatch run nosuchenv:test && tinytorch nosuchcommand
$ hatch run milestones:pytest packages
$ tinytorch test 99
$ python benchmarks/missing.py --flag
$ echo $UNSET_BEFORE; UNSET_BEFORE=1
```
"""


def test_the_checks_pass_good_commands(checker: Checker) -> None:
    assert checker.problems(GOOD) == []


def test_the_checks_catch_each_kind_of_fault(checker: Checker) -> None:
    problems = "\n".join(checker.problems(BAD))
    for expected in (
        "$PYO is never set",
        "absolute temporary path",
        "no script or executable 'nope'",
        "no environment 'nosuchenv'",
        "`tinytorch nosuchcommand` is not a subcommand",
        "no script or executable 'pytest'",  # the milestones environment installs no pytest
        "tinytorch refuses these arguments",
        "python script benchmarks/missing.py is not in the repository",
        "$UNSET_BEFORE is never set",
    ):
        assert expected in problems, f"{expected!r} not reported in:\n{problems}"
    assert "ALSO_OUTPUT" not in problems
