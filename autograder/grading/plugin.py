"""The pytest plugin the runner registers: fixtures for the suites, and reports -> TestResult.

Every suite test carries `@pytest.mark.task("<task id>")`; its exercise is the
suite file's name (`test_<exercise>.py`). A test whose task is not in
course.toml, or a task with no test, fails collection: course.toml is the
single registry and the suites must agree with it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from autograder.course import Course, Task, Visibility
from autograder.grading import catalog, recorded, scope
from autograder.grading.catalog import Misconception
from autograder.grading.compare import Checker, Feedback, Mismatch
from autograder.grading.load_failure import excerpt, load_failure, load_where, loading_failed, student_trace
from autograder.grading.results import Status, TestResult
from autograder.i18n import has, t
from autograder.sandbox.faults import FaultKind
from autograder.sandbox.process import Reply, Sandbox, StudentFault

STRIPPED_MANIFEST = Path(__file__).resolve().parent.parent / "suites" / "hidden.json"
"""Written by `nngrade release` in a student edition: hidden tests cut from the suites, per task key."""


def stripped_hidden_tests(manifest: Path = STRIPPED_MANIFEST) -> dict[str, int]:
    """Hidden tests per 'exercise.task' that a student edition cut out; empty in the instructor's kit."""
    try:
        tests = json.loads(manifest.read_text(encoding="utf-8")).get("tests", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(k): int(v) for k, v in tests.items() if isinstance(v, int)} if isinstance(tests, dict) else {}


class SuiteError(Exception):
    """The suites disagree with course.toml (our bug or the instructor's, never the student's)."""


class Call:
    """One call of a batch (StudentModule.each) that passes keyword arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs


class StudentModule:
    """The `student` fixture: `student.sigmoid(x)` runs the student's function in the worker."""

    def __init__(self, sandbox: Sandbox, module: str, timeout: float,
                 mutated: set[tuple[str, str]] | None = None) -> None:
        self._sandbox = sandbox
        self._module = module
        self._timeout = timeout
        self._mutated = set() if mutated is None else mutated
        """(module, function) already charged with argument-mutated in this submission: once per function."""
        self.warnings: tuple[tuple[str, str], ...] = ()
        """Warnings raised by the most recent call."""
        scope.begin()  # one StudentModule per test: the functions it calls scope the mistakes named

    def call(self, function: str, *args: Any, **kwargs: Any) -> Reply:
        scope.called(function)
        reply = self._sandbox.call(self._module, function, args, kwargs, timeout=self._timeout)
        return self._received(function, args, kwargs, reply)

    def each(self, function: str, calls: Iterable[tuple[Any, ...] | Call]) -> Iterator[Reply]:
        """`call(function, ...)` for each of `calls` (argument tuples, or Call for keywords), in one message.

        The replies come in order, each checked as `call` checks it, and a failed call raises its
        StudentFault when the loop reaches it: a test written `for reply in student.each(...)` grades
        exactly as one calling the function inside the loop, for one pipe message instead of one per call.
        """
        scope.called(function)
        planned = [c if isinstance(c, Call) else Call(*c) for c in calls]
        outcomes = self._sandbox.calls(self._module, function, [(c.args, c.kwargs) for c in planned],
                                       timeout=self._timeout)
        for planned_call, outcome in zip(planned, outcomes):
            if isinstance(outcome, StudentFault):
                raise outcome
            yield self._received(function, planned_call.args, planned_call.kwargs, outcome)

    def _received(self, function: str, args: tuple[Any, ...], kwargs: dict[str, Any], reply: Reply) -> Reply:
        recorded.student_call(self._module, function, args, kwargs, reply.value)  # only while release records
        self.warnings = reply.warnings
        if reply.mutated and (self._module, function) not in self._mutated:
            self._mutated.add((self._module, function))
            raise Mismatch(mutation_feedback(function, reply.mutated))
        return reply

    def __getattr__(self, function: str) -> Any:
        if function.startswith("_"):
            raise AttributeError(function)
        return lambda *args, **kwargs: self.call(function, *args, **kwargs).value


def mutation_feedback(function: str, arguments: tuple[str, ...]) -> Feedback:
    """The failed check of a function that changed its argument(s) in place (charged once per function)."""
    names = ", ".join(arguments)
    return Feedback("argument-mutated", t("core.argument-mutated", function=function, argument=names),
                    what=t("core.argument-mutated-what", function=function),
                    hint=t("core.argument-mutated-hint", function=function, argument=arguments[0]))


def exercise_of(item: pytest.Item) -> str:
    return item.path.stem.removeprefix("test_")


_TASK_OF = pytest.StashKey[tuple[str, str]]()
"""(exercise, task id) of a collected test, read from its marker once."""


def task_of(item: pytest.Item, course: Course) -> Task:
    # Asked ~3 times a test for every submission; pytest walks all the item's markers each time (~4% of a
    # grade-all judge's CPU, benchmarks/bench_speed.py): a test's task never changes, so it is kept on the item.
    key = item.stash.get(_TASK_OF, None)
    if key is None:
        marker = item.get_closest_marker("task")
        if marker is None or not marker.args:
            raise SuiteError(f"{item.nodeid}: has no @pytest.mark.task(...)")
        key = item.stash[_TASK_OF] = (exercise_of(item), str(marker.args[0]))
    task = course.task(*key)
    if task is None:
        raise SuiteError(f"{item.nodeid}: task {key[1]!r} is not a task of {key[0]!r} in {course.path}")
    return task


_NUMPY_ALIASES = ("'int'", "'float'", "'bool'", "'object'", "'long'")


def fault_result(fault_exc: StudentFault, exercise: str, task: str, name: str) -> TestResult:
    """A student-side fault as a test result (status, code, one-line message in the student's language)."""
    fault = fault_exc.fault
    kind = fault.kind
    where = f"{fault_exc.module}.{fault_exc.function}()"
    if kind is FaultKind.WORKER_START_FAILED:
        return TestResult(exercise, task, name, Status.ERROR, "internal-error", fault.message, internal=True)
    code, status = kind.value, Status.ERROR
    message = f"{where}: {fault.message}"
    if kind is FaultKind.NOT_IMPLEMENTED:
        status, message = Status.NOT_IMPLEMENTED, t("core.not-implemented", where=where)
    elif kind is FaultKind.MISSING_MODULE:
        status, message = Status.MISSING, t("core.missing-module", module=fault_exc.module)
    elif kind is FaultKind.MISSING_FUNCTION:
        status, message = Status.MISSING, t("core.missing-function", module=fault_exc.module,
                                            function=fault_exc.function)
    elif kind is FaultKind.TIMEOUT:
        status, message = Status.TIMEOUT, t("core.timeout", where=where, detail=fault.message)
    elif kind in (FaultKind.EXCEPTION, FaultKind.IMPORT_ERROR) and "numpy' has no attribute" in fault.message and any(
        alias in fault.message for alias in _NUMPY_ALIASES
    ):
        code = "numpy-alias-removed"
        alias = next(a for a in _NUMPY_ALIASES if a in fault.message).strip("'")
        loading = kind is FaultKind.IMPORT_ERROR and fault.spot is not None  # one panel for the module, at its line
        message = t("core.numpy-alias-removed", where=load_where(fault, fault_exc.module) if loading else where,
                    alias=alias, replacement=alias if alias != "long" else "int")
        if loading and fault.spot is not None:
            return TestResult(exercise, task, name, status, code, message,
                              feedback=Feedback(code, message, details=excerpt(fault.spot)))
    elif kind is FaultKind.EXCEPTION and (named := raised_mistake(exercise, fault_exc)) is not None:
        code, message = named.code, t("core.known-mistake-raised", where=where, mistake=named.title_text(),
                                      error=fault.message)
        return TestResult(exercise, task, name, status, code, message, function=fault_exc.function,
                          trace=fault.trace, feedback=Feedback(code, message, hint=named.hint_text()))
    elif kind is FaultKind.EXCEPTION:
        message = t("core.raised", where=where, error=fault.message)
    elif loading_failed(fault):  # the module, not this function: one message for all its tests, with the line
        message, feedback = load_failure(fault, fault_exc.module)
        status = Status.TIMEOUT if kind is FaultKind.IMPORT_TIMEOUT else status
        return TestResult(exercise, task, name, status, code, message, feedback=feedback, trace=student_trace(fault))
    elif has(f"core.fault-{kind.value}"):
        message = t(f"core.fault-{kind.value}", where=where, detail=fault.message)
    return TestResult(exercise, task, name, status, code, message, function=fault_exc.function,
                      trace=fault.trace)


def raised_mistake(exercise: str, fault_exc: StudentFault) -> Misconception | None:
    """The catalogued mistake whose `raises` matches the exception the student's function raised, if any."""
    fault = fault_exc.fault
    return catalog.load(exercise).raised(fault_exc.function, (*fault.exc_types, fault.exc_type), fault.message)


_REFERENCES: dict[Path, tuple[tuple[int, int], ModuleType]] = {}


def reference_module(path: Path) -> ModuleType:
    """A reference solution imported in the judge, once per process while the file is unchanged.

    A grade-all judge grades many submissions: importing (and compiling) six solutions for each cost ~6 ms.
    """
    try:
        stat = path.stat()
    except OSError:
        raise SuiteError(f"the reference solution {path} is missing") from None
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _REFERENCES.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    spec = importlib.util.spec_from_file_location(f"_nngrade_reference_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _REFERENCES[path] = (version, module)
    return module


class GradingPlugin:
    """Provides the suites' fixtures and turns pytest reports into TestResults."""

    def __init__(self, course: Course, sandbox: Sandbox | None, *, include_hidden: bool,
                 solutions: Path, data_dir: Path | None, select_at_collection: bool = True) -> None:
        self.course = course
        self.sandbox = sandbox
        self.include_hidden = include_hidden
        self.solutions = solutions
        self._data_dir = data_dir
        self.select_at_collection = select_at_collection
        """False for a SuiteSession: every test stays collected, each run picks its own (`select`)."""
        self.results: list[TestResult] = []
        self.hidden_not_run = 0
        self.collection_errors: list[str] = []
        self._item: pytest.Item | None = None
        self._setup_seconds = 0.0
        """How long the running test's setup (its fixtures) took: part of its JUnit time."""
        """The test being run (set before its fixtures)."""
        self._stripped = stripped_hidden_tests()
        self._mutated: set[tuple[str, str]] = set()
        """Functions of this submission already charged with argument-mutated (StudentModule)."""
        self._references: dict[str, ModuleType] = {}
        """The reference solutions this submission's tests asked for, by exercise (checked for changes once)."""
        self._generators: dict[str, tuple[np.random.Generator, Mapping[str, Any]]] = {}
        """Each test's generator and its seeded state, made once and reset for every submission it grades."""
        self.providers: dict[str, Callable[[], Any]] = {
            "task": self._task, "student": self.new_student, "expect": self.new_checker, "rng": self.new_rng,
            "reference": self.reference_solution, "data_dir": self.data_folder, "scratch": self.new_scratch}
        """Every fixture of this plugin by name: what a test asking for it gets (a fresh value per call)."""
        """Read once: a SuiteSession selects tests for every submission."""

    def begin(self, course: Course, sandbox: Sandbox) -> None:
        """Start grading another submission (a SuiteSession's next run): its course, its sandbox, no results."""
        self.course, self.sandbox = course, sandbox
        self.results, self.hidden_not_run, self._item = [], 0, None
        self._mutated, self._references = set(), {}

    # --- collection ---------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "task(id): the course.toml task this test grades")
        # Results come from the exception objects, not pytest's text; a native traceback is the cheapest.
        config.option.tbstyle = "native"

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        try:
            keep, self.hidden_not_run = self.select(items, self.course)
        except SuiteError as exc:  # reported by the runner as an internal error, not a pytest crash
            self.collection_errors.append(str(exc))
            items.clear()
            return
        if not self.select_at_collection:
            return
        deselected = [i for i in items if i not in keep]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = keep

    def select(self, items: list[pytest.Item], course: Course) -> tuple[list[pytest.Item], int]:
        """The tests of `items` to run for `course`, and how many hidden ones are not run; SuiteError if a task
        of the course has no test."""
        keep: list[pytest.Item] = []
        hidden = 0
        covered: set[str] = set()
        selected = {e.id for e in course.exercises}
        for item in items:
            if exercise_of(item) not in selected:
                continue
            task = task_of(item, course)
            covered.add(task.key)
            if self.include_hidden or task.visibility is Visibility.PUBLIC:
                keep.append(item)
            else:
                hidden += 1
        # In a student edition, hidden tasks have no tests here: they were cut out and counted.
        cut = self._stripped
        stripped = {t.key: cut[t.key] for t in course.tasks()
                    if t.visibility is Visibility.HIDDEN and t.key not in covered and cut.get(t.key)}
        untested = [t.key for t in course.tasks() if t.key not in covered and t.key not in stripped]
        if untested:
            raise SuiteError(f"task(s) with no test in the suites: {', '.join(untested)}")
        return keep, hidden + sum(stripped.values())

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext.strip().splitlines()[-1:]}")

    # --- results ------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if report.when == "setup":
            self._setup_seconds = report.duration
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            seconds = report.duration + (self._setup_seconds if report.when == "call" else 0.0)
            self.results.append(dataclasses.replace(self._result(item, call, report), duration=seconds))

    def _result(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> TestResult:
        if report.passed:
            return self.result_of(item, None)
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            return self.not_run(item, str(reason).removeprefix("Skipped: "))
        detail = report.longreprtext.strip().splitlines()
        error = call.excinfo.value if call.excinfo is not None else None
        return self.result_of(item, error, detail[-1] if detail else repr(error))

    def not_run(self, item: pytest.Item, reason: str) -> TestResult:
        """A test that skipped itself (pytest.skip: the MNIST data is not here)."""
        task = task_of(item, self.course)
        return TestResult(task.exercise, task.id, item.name, Status.NOT_RUN, "not-run", reason)

    def result_of(self, item: pytest.Item, error: BaseException | None, detail: str = "") -> TestResult:
        """The result of a test that passed (`error` None) or raised `error`; `detail`: the grader's own failure
        in one line, for an error that is neither the student's nor a failed check."""
        task = task_of(item, self.course)
        exercise, name = task.exercise, item.name
        if error is None:
            return TestResult(exercise, task.id, name, Status.PASSED, None, "")
        if isinstance(error, StudentFault):
            return fault_result(error, exercise, task.id, name)
        if isinstance(error, Mismatch):
            fb = error.feedback
            return TestResult(exercise, task.id, name, Status.FAILED, fb.code, fb.message, feedback=fb)
        if isinstance(error, AssertionError):
            return TestResult(exercise, task.id, name, Status.FAILED, "check-failed",
                              str(error) or t("core.check-failed"))
        return TestResult(exercise, task.id, name, Status.ERROR, "internal-error",
                          t("core.grader-failed", detail=detail or repr(error)), internal=True)

    # --- fixtures for the suites -------------------------------------------
    # The fixtures read the running test from `_item` rather than asking for pytest's `request`: pytest makes
    # a new fixture definition each time `request` is asked for (its signature inspected each time), which
    # cost ~25 ms of every submission's grading.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.starting(item)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        self.finished()

    def starting(self, item: pytest.Item) -> None:
        """`item` is the test being run: its fixtures are made for it."""
        self._item = item

    def finished(self) -> None:
        scope.end()  # between tests (and after grading, in the judge's process) no mistake is out of scope

    def _task(self) -> Task:
        assert self._item is not None
        return task_of(self._item, self.course)

    # student and expect read the task themselves rather than through the `task` fixture: one fixture fewer
    # for pytest to resolve, set up and tear down in almost every test (benchmarks/bench_speed.py).
    # Each fixture is a plain method too (`providers`): the direct loop (grading/direct.py) calls them itself.
    def new_student(self) -> StudentModule:
        task = self._task()
        exercise = self.course.exercise(task.exercise)
        assert exercise is not None and self.sandbox is not None
        return StudentModule(self.sandbox, exercise.module, task.limits.timeout, self._mutated)

    def new_checker(self) -> Checker:
        task = self._task()
        return Checker(rtol=task.limits.rtol, atol=task.limits.atol)

    def new_rng(self) -> np.random.Generator:
        """A generator seeded from the test's id: the same submission always gets the same inputs.

        Seeding one costs ~10 µs (a SeedSequence); a judge grading many submissions seeds each test's once
        and puts it back in its first state each time (~1 µs).
        """
        assert self._item is not None
        nodeid = self._item.nodeid
        if nodeid not in self._generators:
            rng = np.random.default_rng(zlib.crc32(nodeid.encode()))
            self._generators[nodeid] = (rng, rng.bit_generator.state)
        rng, seeded_state = self._generators[nodeid]
        rng.bit_generator.state = seeded_state
        return rng

    def reference_solution(self) -> ModuleType:
        """The reference solution, imported in the judge (hidden tests only)."""
        name = self._task().exercise
        if name not in self._references:  # a file's stat and a course lookup per test, for every submission
            exercise = self.course.exercise(name)
            assert exercise is not None
            self._references[name] = reference_module(self.solutions / f"{exercise.module}.py")
        return self._references[name]

    def data_folder(self) -> Path:
        """The MNIST folder; tests needing it are reported not-run when it is absent."""
        if self._data_dir is None:
            pytest.skip(t("core.data-not-available"))
        return self._data_dir

    def new_scratch(self) -> Path:
        """The test's folder for files the judge writes and the student's code reads (IDX files, weights).

        Named after the test: where the scratch space outlives a submission (a fork server's, shared by the
        submissions a judge grades), the test's next run finds what it wrote there before and writes the same
        again, since a test writes only constants and values seeded from its id, never a student's.
        """
        assert self.sandbox is not None and self._item is not None
        folder = self.sandbox.scratch / hashlib.sha256(self._item.nodeid.encode()).hexdigest()[:24]
        folder.mkdir(exist_ok=True)
        return folder


    @pytest.fixture
    def task(self) -> Task:
        return self._task()

    @pytest.fixture
    def student(self) -> StudentModule:
        return self.new_student()

    @pytest.fixture
    def expect(self) -> Checker:
        return self.new_checker()

    @pytest.fixture
    def rng(self) -> np.random.Generator:
        return self.new_rng()

    @pytest.fixture
    def reference(self) -> ModuleType:
        return self.reference_solution()

    @pytest.fixture
    def data_dir(self) -> Path:
        return self.data_folder()

    @pytest.fixture
    def scratch(self) -> Path:
        return self.new_scratch()


class PlainFailureReports:
    """A plain report for the failures the grader explains itself (a student fault, a Mismatch).

    pytest would format a full traceback for each (~2 ms a test, a quarter of grading a stub) that nobody
    reads: the result comes from the exception itself. Anything else gets pytest's own report. A plugin of
    its own because GradingPlugin already wraps this hook to collect results.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
        error = call.excinfo.value if call.excinfo is not None else None
        if not isinstance(error, (StudentFault, Mismatch)):
            return None
        when = call.when
        if when == "collect":
            return None
        return pytest.TestReport(item.nodeid, item.location, {}, "failed", f"{type(error).__name__}: {error}",
                                 when, duration=call.duration)
