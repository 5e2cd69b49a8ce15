"""The course honesty check (``tinytorch check-releases``), run in CI.

For every module N it makes a release through N-1 in a temporary folder and runs the tests of
modules 01..N there (the copy's ``packages/*/src`` first on PYTHONPATH, one shared environment):

- every test of module N must fail (fail or error) -- a test of module N that still passes or
  skips with module N stripped cannot fail, and is an error unless :data:`CANNOT_FAIL_ALLOWED`
  lists it with the reason;
- every test of modules < N must pass;
- the tests must have imported the copy's code, never the installed tree (checked from the
  ``__file__`` of every ``tinytorch.*`` module the session loaded, without a conftest).

Also: the reference tree passes every (non-oracle) test and every test carries exactly one
``moduleNN`` marker; a release through 0 imports every module of every package. A module with
no tests yet is a warning (an error with ``require_tests``); so are the cannot-fail tests of the
modules in ``warn_only`` (modules still being written).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tinytorch.course.release import MODULES, release
from tinytorch.course.testing import Case, Outcomes, format_modules, run_tests

__all__ = [
    "CANNOT_FAIL_ALLOWED",
    "CheckReport",
    "ModuleCheck",
    "check_releases",
    "format_report",
    "parse_modules",
]

#: Tests of module N that legitimately pass in a release through N-1, because they test code
#: given to the student (outside every solution block) that module N's guide explains.
#: Test id (without a parametrization suffix, so one entry covers every case), or a test file
#: (every test of given library code, e.g. the PyTorch-breadth ops) -> why it cannot fail.
#: Keep this short: each entry grades nothing, it only guards the given code.
CANNOT_FAIL_ALLOWED: dict[str, str] = {
    # Module 01: the student writes the timer and the memory measurement; the formatters are given.
    "packages/tt-core/tests/test_profiling.py::test_formatting": "format_bytes/format_seconds are given",
    "packages/tt-core/tests/test_profiling.py::test_retain_freed_memory": ("the allocator policy is given"),
    "packages/tt-core/tests/test_allocator.py::test_a_free_array_is_reused_and_one_in_use_is_not": (
        "the workspace (caching allocator) is given"
    ),
    "packages/tt-core/tests/test_allocator.py::test_limits_small_arrays_dtypes_and_clear": (
        "the workspace (caching allocator) is given"
    ),
    "packages/tt-core/tests/test_allocator.py::test_threads_never_get_the_same_array": (
        "the workspace (caching allocator) is given"
    ),
    "packages/tt-core/tests/test_testing.py::test_forbid_refuses_the_given_twin_then_restores_it": (
        "forbid (the tests' guard against calling a given twin) is given"
    ),
    # Module 02: the student writes the ops' forward computation; factories, the RNG and the
    # argument checks that name the op and the shapes are given.
    "packages/tt-core/tests/test_tensor.py::test_factories": "zeros/ones/full/arange are given",
    "packages/tt-core/tests/test_tensor.py::test_manual_seed_reproduces_and_state_round_trips": (
        "the seeded generator is given"
    ),
    "packages/tt-core/tests/test_tensor.py::test_bad_input_is_a_clear_error_naming_the_op": (
        "argument checks run before the student's code"
    ),
    "packages/tt-core/tests/test_tensor.py::test_non_numeric_or_unsupported_data_is_a_clear_error": (
        "the constructor's input checks are given; the student writes the dtype rule"
    ),
    "packages/tt-core/tests/test_errors.py::test_argument_checks_raise_pytorchs_error_types": (
        "argument checks run before the student's code (one case: backward's grad shape, module 05)"
    ),
    # Module 05: graph recording is given (modules 03-04 run layers before autograd exists);
    # the student writes backward passes and the topological walk.
    "packages/tt-core/tests/test_autograd.py::test_repr_shows_grad_fn": "graph recording is given",
    "packages/tt-core/tests/test_gradcheck.py::test_gradcheck_input_errors": (
        "gradcheck's input checks are given; the student writes the central differences"
    ),
    "packages/tt-core/tests/test_autograd.py::test_no_grad_builds_no_graph_and_enable_grad_restores": (
        "no_grad/enable_grad are given"
    ),
    "packages/tt-core/tests/test_autograd.py::test_backward_without_grad_is_an_error": (
        "the check runs before the student's walk"
    ),
    "packages/tt-core/tests/test_autograd.py::test_arrays_must_be_saved_with_save_for_backward": (
        "the Context guard is given"
    ),
    # Modules 03, 04, 06: the layers' and losses' argument checks (errors of PyTorch's types) are given.
    "packages/tt-nn/tests/test_errors.py::test_bad_inputs_raise_pytorchs_error_types": (
        "argument checks run before the student's code"
    ),
    "packages/tt-nn/tests/test_errors.py::test_errors_that_already_had_pytorchs_type_keep_it": (
        "argument checks run before the student's code"
    ),
    # Module 07: the student writes SGD.step (the update rule); SGD's hyperparameter checks
    # (check_group), zero_grad and load_state_dict are the given Optimizer machinery.
    "packages/tt-train/tests/test_sgd.py::test_invalid_hyperparameters_raise_naming_the_value": (
        "SGD's hyperparameter checks (check_group) are given"
    ),
    "packages/tt-train/tests/test_sgd.py::test_invalid_hyperparameter_in_a_group_raises": (
        "SGD's hyperparameter checks (check_group) are given"
    ),
    "packages/tt-train/tests/test_sgd.py::test_zero_grad_sets_none_or_zeros": (
        "zero_grad is the given Optimizer base class's (clear_grads)"
    ),
    "packages/tt-train/tests/test_sgd.py::test_load_state_dict_restores_hyperparameters": (
        "load_state_dict is the given Optimizer base class's"
    ),
    # Module 09: conv2d's and pooling's argument checks (errors of PyTorch's types) are given.
    "packages/tt-vision/tests/test_errors.py::test_bad_inputs_raise_pytorchs_error_types": (
        "argument checks run before the student's code"
    ),
    # Module 10: the student writes the IDX parser, MNIST, the transforms, the lookup order and
    # the unpickler's allow-list; the file utilities, the IDX writer and argument checks are given.
    "packages/tt-train/tests/test_datafiles.py::test_datafile_validates_its_fields": (
        "DataFile checks are given"
    ),
    "packages/tt-train/tests/test_datafiles.py::test_cache_dir_precedence": "cache_dir is given",
    "packages/tt-train/tests/test_datafiles.py::test_sha256_file": "sha256_file is given",
    "packages/tt-train/tests/test_datafiles.py::test_save_to_cache_is_verified_and_atomic": (
        "the atomic, verified write is given"
    ),
    "packages/tt-train/tests/test_datafiles.py::test_unpickler_reports_a_truncated_pickle": (
        "pickle's own truncation error, reworded by given code"
    ),
    "packages/tt-vision/tests/test_idx.py::test_encode_idx_writes_the_documented_header": (
        "encode_idx (the test-file writer) is given"
    ),
    "packages/tt-vision/tests/test_idx.py::test_encode_idx_refuses_other_dtypes": "encode_idx is given",
    "packages/tt-vision/tests/test_idx.py::test_wrong_magic_is_named": (
        "check_header (the magic number) is given; the student reads the dimensions"
    ),
    "packages/tt-vision/tests/test_idx.py::test_not_an_idx_header": (
        "check_header (the magic number) is given; the student reads the dimensions"
    ),
    "packages/tt-vision/tests/test_idx.py::test_truncated_header": (
        "check_header (room for the dimensions) is given; the student reads them"
    ),
    "packages/tt-vision/tests/test_idx.py::test_idx_error_is_a_data_error_and_a_value_error": (
        "IDXError and check_header are given"
    ),
    "packages/tt-vision/tests/test_idx.py::test_read_idx_bad_gzip_names_the_file": (
        "gzip errors are caught by given code before the parser"
    ),
    "packages/tt-vision/tests/test_idx.py::test_read_idx_truncated_gzip_names_the_file": (
        "gzip errors are caught by given code before the parser"
    ),
    "packages/tt-vision/tests/test_mnist.py::test_real_data_dir_holds_the_pinned_files": (
        "checks the data files themselves against the pinned hashes"
    ),
    "packages/tt-vision/tests/test_transforms.py::test_normalize_bad_arguments": "argument checks are given",
    "packages/tt-vision/tests/test_transforms.py::test_compose_refuses_non_callables": (
        "argument checks are given"
    ),
    # Module 11: the student writes Adam.update (the rule for one parameter); the hyperparameter
    # checks (check_group) and the fused, threaded update behind fused=True are given.
    "packages/tt-train/tests/test_adam.py::test_invalid_hyperparameters_raise_naming_the_value": (
        "Adam's hyperparameter checks (check_group) are given"
    ),
    "packages/tt-train/tests/test_adam.py::test_adamw_errors_name_adamw": (
        "Adam's hyperparameter checks (check_group) are given"
    ),
    "packages/tt-train/tests/test_adam.py::test_a_step_allocates_its_temporaries_and_nothing_stays[fused]": (
        "the fused update (fused=True) is given; the [rule] case grades the student's update"
    ),
    "packages/tt-train/tests/test_adam.py::"
    "test_a_large_parameter_updated_on_several_threads_matches_one_thread": (
        "the fused update's thread split is given"
    ),
    # Module 12: the student writes the schedules, clipping, early stopping and the checkpoint's
    # tensor names; reading and verifying a checkpoint file is given.
    "packages/tt-train/tests/test_checkpoint.py::test_garbage_file_is_a_clear_error": (
        "read_checkpoint (the file checks) is given"
    ),
    # Modules 13-15: the student writes the attention, the blocks, TinyGPT and generation; the
    # argument checks (which name the op and the shapes), GPTConfig and the torch weight
    # conversion are given.
    "packages/tt-text/tests/test_attention.py::test_bad_inputs_are_clear_errors": "argument checks are given",
    "packages/tt-text/tests/test_errors.py::test_bad_inputs_raise_pytorchs_error_types": (
        "argument checks (errors of PyTorch's types) are given"
    ),
    "packages/tt-text/tests/test_errors.py::test_errors_that_already_had_pytorchs_type_keep_it": (
        "argument checks (errors of PyTorch's types) are given"
    ),
    "packages/tt-text/tests/test_attention.py::test_multi_head_attention_errors_and_init": (
        "argument checks and the initialisation are given"
    ),
    "packages/tt-text/tests/test_attention.py::test_torch_state_conversion_round_trip": (
        "the PyTorch weight conversion is given"
    ),
    "packages/tt-text/tests/test_gpt.py::test_config_defaults_are_the_cpu_shakespeare_run": (
        "GPTConfig is given"
    ),
    "packages/tt-text/tests/test_gpt.py::test_config_errors": "GPTConfig's checks are given",
    "packages/tt-text/tests/test_generate.py::test_generate_errors": "generate's argument checks are given",
    "packages/tt-text/tests/test_training.py::test_config_errors": "TrainConfig's checks are given",
    # PyTorch breadth (issue 15): library code given whole, graded in no module. A file entry
    # excuses only its tests that pass stripped; the ones that run the student's code still grade.
    "packages/tt-core/tests/test_factories.py": "the *_like/empty/eye/linspace/arange factories are given",
    "packages/tt-core/tests/test_ops_math.py::test_integer_division_by_zero_is_an_error": (
        "the given ops_math refuses int % 0 and // 0 before any student code runs"
    ),
    "packages/tt-core/tests/test_promotion.py::test_int_and_bool_tensors_promote_as_pytorch": (
        "some cases (sin, a comparison, logsumexp of ints) run only given code"
    ),
    "packages/tt-nn/tests/test_activations_more.py": "SiLU/Softplus/ELU/Hardtanh/ReLU6/normalize are given",
    "packages/tt-nn/tests/test_losses_more.py": "weighted, soft-target and regression losses are given",
    "packages/tt-nn/tests/test_batch_norm.py": "BatchNorm1d/2d are given",
    "packages/tt-train/tests/test_rmsprop_adagrad.py": "RMSprop and Adagrad are given",
    "packages/tt-train/tests/test_lr_scheduler_more.py": "the four new LR schedules are given",
    "packages/tt-vision/tests/test_conv_more.py": "grouped/dilated conv, ConvTranspose2d, Conv1d are given",
    "packages/tt-vision/tests/test_pool_more.py": "the pooling options and AdaptiveAvgPool2d are given",
    "packages/tt-text/tests/test_attention_masks.py": "float masks, key_padding_mask, need_weights are given",
}


def allowlist_key(nodeid: str, allowed: Mapping[str, str]) -> str | None:
    """The allowlist entry that covers this test: its id, its id without the parametrization,
    or its file (an entry for a whole file of tests of given library code)."""
    for key in (nodeid, nodeid.split("[", 1)[0], nodeid.split("::", 1)[0]):
        if key in allowed:
            return key
    return None


def allowlisted(nodeid: str, allowed: Mapping[str, str]) -> str | None:
    """The allowlist's reason for this test (see `allowlist_key`)."""
    key = allowlist_key(nodeid, allowed)
    return allowed[key] if key is not None else None


def parse_modules(text: str) -> list[int]:
    """``1-15`` / ``3`` / ``1-4,9`` -> sorted module numbers, each 1..15."""
    modules: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            raise ValueError(f"bad module range {part!r}: use e.g. 1-15, 7 or 1-4,9") from None
        if not (1 <= lo <= hi <= len(MODULES)):
            raise ValueError(f"bad module range {part!r}: modules are 1..{len(MODULES)}")
        modules.update(range(lo, hi + 1))
    return sorted(modules)


def suite_folders(root: Path) -> list[Path]:
    """Every package's tests folder except tt-course's (the tooling holds no module)."""
    return sorted(p for p in root.glob("packages/*/tests") if p.is_dir() and p.parent.name != "tt-course")


def source_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("packages/*/src") if p.is_dir())


def wrong_imports(outcomes: Outcomes, root: Path) -> list[str]:
    """``tinytorch.*`` modules the session loaded from outside ``root`` although ``root`` has them."""
    provided = {p.name for src in source_paths(root) for p in (src / "tinytorch").glob("*") if p.is_dir()}
    wrong = []
    for name, path in outcomes.imported.items():
        top = name.split(".")[1]
        if top in provided and not Path(path).resolve().is_relative_to(root.resolve()):
            wrong.append(f"{name} from {path}")
    return wrong


@dataclass
class ModuleCheck:
    """Module N, checked in a release through N-1."""

    module: int
    tests: int = 0
    failed_stripped: int = 0
    cannot_fail: list[Case] = field(default_factory=list)  # not allowlisted
    allowed: list[Case] = field(default_factory=list)  # allowlisted
    earlier_tests: int = 0
    earlier_failures: list[Case] = field(default_factory=list)
    collection_errors: list[tuple[str, str]] = field(default_factory=list)
    wrong_imports: list[str] = field(default_factory=list)
    skipped: list[Case] = field(default_factory=list)  # skipped here and in the reference
    seconds: float = 0.0
    crash: str = ""  # pytest did not run

    def cannot_fail_lines(self) -> list[str]:
        return [
            f"module {self.module:02d}: test cannot fail (it {t.outcome} with module {self.module:02d} "
            f"stripped): {t.nodeid}"
            for t in self.cannot_fail
        ]

    def errors(self, require_tests: bool, cannot_fail_is_error: bool = True) -> list[str]:
        name = f"module {self.module:02d}"
        errors = [f"{name}: pytest did not run: {self.crash}"] if self.crash else []
        if require_tests and self.tests == 0:
            errors.append(f"{name}: no tests")
        if cannot_fail_is_error:
            errors += self.cannot_fail_lines()
        errors += [
            f"{name}: in the release through {self.module - 1:02d}, an earlier module's test "
            f"{t.outcome}: {t.nodeid}" + (f" -- {t.message}" if t.message else "")
            for t in self.earlier_failures
        ]
        errors += [f"{name}: collection error in {n}: {m}" for n, m in self.collection_errors]
        errors += [f"{name}: the tests imported {w}, not the release copy" for w in self.wrong_imports]
        return errors


@dataclass
class CheckReport:
    root: Path
    modules: list[ModuleCheck]
    reference_passed: int = 0
    reference_errors: list[str] = field(default_factory=list)
    reference_seconds: float = 0.0
    reference_skipped: list[str] = field(default_factory=list)
    imports_checked: int = 0
    import_errors: list[str] = field(default_factory=list)
    require_tests: bool = False
    allowed: dict[str, str] = field(default_factory=dict)
    warn_only: frozenset[int] = frozenset()  # modules whose cannot-fail tests are warnings
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        errors = [*self.reference_errors, *self.import_errors]
        for m in self.modules:
            errors += m.errors(self.require_tests, m.module not in self.warn_only)
        return errors

    @property
    def warnings(self) -> list[str]:
        warnings = [f"reference: skipped, so not checked in any release: {s}" for s in self.reference_skipped]
        if not self.require_tests:
            warnings += [f"module {m.module:02d}: no tests yet" for m in self.modules if m.tests == 0]
        for m in self.modules:
            if m.module in self.warn_only:
                warnings += [
                    f"{line} (a warning while module {m.module:02d} is being written)"
                    for line in m.cannot_fail_lines()
                ]
        matched: set[str] = set()
        for m in self.modules:
            cases: dict[str, int] = {}
            for t in m.allowed:
                base = allowlist_key(t.nodeid, self.allowed) or t.nodeid
                cases[base] = cases.get(base, 0) + 1
            matched.update(cases)
            warnings += [
                f"module {m.module:02d}: allowlisted, passes stripped ({self.allowed[base]}): {base}"
                + (f" ({n} cases)" if n > 1 else "")
                for base, n in cases.items()
            ]
        if {m.module for m in self.modules} == set(MODULES):
            warnings += [
                f"allowlist entry matches no test that passes stripped: {k}"
                for k in self.allowed.keys() - matched
            ]
        return warnings


def check_module(
    module: int,
    outcomes: Outcomes,
    copy: Path,
    allowed: Mapping[str, str],
    skipped_in_reference: frozenset[str] = frozenset(),
) -> ModuleCheck:
    """Judge module N from the outcomes of modules 01..N in the release through N-1 at ``copy``.

    A test skipped in the reference too (e.g. a dataset not found here) is not judged: it is
    counted in ``skipped`` and reported as a warning.
    """
    check = ModuleCheck(module, seconds=outcomes.seconds)
    for test in outcomes.tests:
        if test.nodeid in skipped_in_reference and test.outcome == "skipped":
            check.skipped.append(test)
            continue
        if test.module == module:
            check.tests += 1
            if test.outcome in ("failed", "error"):
                check.failed_stripped += 1
            elif allowlisted(test.nodeid, allowed):
                check.allowed.append(test)
            else:
                check.cannot_fail.append(test)
        elif test.module is not None and test.module < module:
            check.earlier_tests += 1
            if not test.ok:
                check.earlier_failures.append(test)
    check.collection_errors = outcomes.collection_errors
    check.wrong_imports = wrong_imports(outcomes, copy)
    return check


_IMPORT_ALL = r"""
import importlib, json, pkgutil, sys, traceback
from pathlib import Path
root, packages = Path(sys.argv[1]), sys.argv[2:]
result = {"imported": 0, "errors": []}
for src in packages:
    for pkg in sorted((Path(src) / "tinytorch").iterdir()):
        if not (pkg / "__init__.py").is_file():
            continue
        names = ["tinytorch." + pkg.name]
        names += [m.name for m in pkgutil.walk_packages([str(pkg)], "tinytorch." + pkg.name + ".")]
        for name in names:
            try:
                module = importlib.import_module(name)
            except BaseException as err:
                line = traceback.format_exception_only(type(err), err)[-1].strip()
                result["errors"].append(name + ": " + line)
                continue
            result["imported"] += 1
            if not Path(module.__file__).resolve().is_relative_to(root):
                result["errors"].append(name + ": imported from " + module.__file__ + ", not the release")
print(json.dumps(result))
"""


def import_everything(copy: Path, python: str) -> tuple[int, list[str]]:
    """Import every module of every package of the release at ``copy``: (count, errors)."""
    srcs = source_paths(copy)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, srcs), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [python, "-c", _IMPORT_ALL, str(copy.resolve()), *map(str, srcs)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return 0, [f"release 00: the import check crashed:\n{(proc.stdout + proc.stderr)[-2000:]}"]
    return int(data["imported"]), [f"release 00 does not import: {e}" for e in data["errors"]]


def check_releases(
    root: Path,
    modules: Sequence[int] = tuple(MODULES),
    *,
    jobs: int = 1,
    python: str = sys.executable,
    require_tests: bool = False,
    allowed: Mapping[str, str] = CANNOT_FAIL_ALLOWED,
    autoload_plugins: bool = False,
    warn_only: Sequence[int] = (),
    progress: Callable[[str], None] | None = None,
) -> CheckReport:
    """Run the whole check on the repository at ``root`` (see the module docstring)."""
    start = time.perf_counter()
    root = root.resolve()
    say = progress or (lambda _text: None)
    report = CheckReport(
        root, [], require_tests=require_tests, allowed=dict(allowed), warn_only=frozenset(warn_only)
    )

    reference = run_tests(
        suite_folders(root),
        python=python,
        pythonpath_first=source_paths(root),
        cwd=root,
        autoload_plugins=autoload_plugins,
    )
    report.reference_seconds = reference.seconds
    report.reference_passed = sum(t.ok for t in reference.tests)
    report.reference_errors += [
        f"reference: test {t.outcome}: {t.nodeid}" + (f" -- {t.message}" if t.message else "")
        for t in reference.tests
        if not t.ok and t.outcome != "skipped"
    ]
    skipped = frozenset(t.nodeid for t in reference.tests if t.outcome == "skipped")
    report.reference_skipped = [
        f"{t.nodeid} -- {t.message}" for t in reference.tests if t.outcome == "skipped"
    ]
    report.reference_errors += [
        f"reference: test has no single moduleNN marker: {t.nodeid}"
        for t in reference.tests
        if t.module is None
    ]
    report.reference_errors += [
        f"reference: collection error in {n}: {m}" for n, m in reference.collection_errors
    ]
    report.reference_errors += [
        f"reference: imported {w}, not {root}" for w in wrong_imports(reference, root)
    ]
    say(
        f"reference: {report.reference_passed} of {len(reference.tests)} tests passed "
        f"({reference.seconds:.1f} s)"
    )

    with tempfile.TemporaryDirectory(prefix="tinytorch-check-") as tmp:

        def through(n: int) -> Path:
            copy = Path(tmp) / f"release-{n:02d}"
            release(root, copy, n)
            return copy

        def one(module: int) -> ModuleCheck:
            copy = through(module - 1)
            try:
                outcomes = run_tests(
                    suite_folders(copy),
                    modules=range(1, module + 1),
                    python=python,
                    pythonpath_first=source_paths(copy),
                    cwd=copy,
                    autoload_plugins=autoload_plugins,
                )
            except Exception as err:
                return ModuleCheck(module, crash=str(err))
            result = check_module(module, outcomes, copy, allowed, skipped)
            stripped = (
                "no tests yet" if result.tests == 0 else f"{result.failed_stripped}/{result.tests} fail"
            )
            say(f"module {module:02d}: {stripped} stripped ({result.seconds:.1f} s)")
            return result

        if 1 not in modules:  # otherwise module 01's run makes it
            through(0)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            report.modules = list(pool.map(one, modules))
        copy0 = Path(tmp) / "release-00"
        report.imports_checked, report.import_errors = import_everything(copy0, python)
        say(f"release 00: {report.imports_checked} modules imported")
    report.seconds = time.perf_counter() - start
    return report


def _names(tests: list[Case]) -> str:
    return "; ".join(t.nodeid for t in tests)


def format_report(report: CheckReport) -> str:
    """The per-module table, then errors and warnings, then the verdict."""
    header = ["module", "name", "tests", "fail stripped", "pass stripped", "earlier modules", "time"]
    rows = []
    for m in report.modules:
        name = MODULES[m.module][0]
        if m.crash:
            rows.append([f"{m.module:02d}", name, "?", "?", "?", "pytest did not run", f"{m.seconds:.1f} s"])
            continue
        earlier = (
            "-"
            if m.module == 1
            else f"{m.earlier_tests - len(m.earlier_failures)}/{m.earlier_tests} pass"
            + ("" if not m.earlier_failures else " FAIL")
        )
        if m.tests == 0:
            fails, passes = "no tests yet", "-"
        else:
            fails = f"{m.failed_stripped}/{m.tests}"
            passes = str(len(m.cannot_fail) + len(m.allowed))
            if m.allowed:
                passes += f" ({len(m.allowed)} allowed)"
        rows.append([f"{m.module:02d}", name, str(m.tests), fails, passes, earlier, f"{m.seconds:.1f} s"])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        f"Course honesty check of {report.root}: modules {format_modules(m.module for m in report.modules)}",
        f"reference tree: {report.reference_passed} tests passed ({report.reference_seconds:.1f} s); "
        f"release through 00: {report.imports_checked} modules imported",
        "Each module N: its tests in a release through N-1 (stripped), and the earlier modules' tests there.",
        "",
    ]
    for r in [header, ["-" * w for w in widths], *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    errors, warnings = report.errors, report.warnings
    if warnings:
        lines += ["", f"Warnings ({len(warnings)}):", *(f"  - {w}" for w in warnings)]
    if errors:
        lines += ["", f"Errors ({len(errors)}):", *(f"  - {e}" for e in errors)]
    verdict = "FAILED" if errors else "passed"
    lines += [
        "",
        f"Course check {verdict} in {report.seconds:.0f} s ({len(errors)} errors, {len(warnings)} warnings).",
    ]
    return "\n".join(lines)
