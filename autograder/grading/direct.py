"""Run a collected test by calling it, without pytest's per-test protocol (runner.run_items).

pytest runs each test through setup, call and teardown, each timed into a CallInfo, turned into a
TestReport and passed through a dozen hook calls, and resolves each fixture through a FixtureDef. For a
judge that grades hundreds of submissions with the same ~230 tests, that machinery was a quarter of its
CPU (~0.35 ms a test; benchmarks/bench_speed.py, grade-all). The suites' tests need none of it: their
fixtures are the grading plugin's own, made afresh for each test with nothing to tear down, and a test's
result comes from the exception it raised (GradingPlugin.result_of), not from pytest's report.

So a test whose fixtures are all the plugin's is called directly with them and its parametrized
arguments; any other test (a suite's own fixture, a class) still goes through pytest's protocol, and
`pytest_items` tells the caller which.
"""
from __future__ import annotations

import inspect
import os
import time
import traceback
from dataclasses import dataclass, replace
from typing import Any

import pytest

from autograder.grading.plugin import GradingPlugin


@dataclass(frozen=True)
class DirectCall:
    """How to call one collected test directly."""

    fixtures: tuple[str, ...]
    """Every fixture the test uses, in pytest's order; each made by the plugin."""
    arguments: tuple[str, ...]
    """The test function's parameters."""
    params: dict[str, Any]
    """The parametrized arguments' values (pytest's callspec)."""


_DIRECT = pytest.StashKey["DirectCall | None"]()


def direct_call(item: pytest.Item, plugin: GradingPlugin) -> DirectCall | None:
    """How to call `item` directly, or None if it needs pytest's protocol; worked out once per item."""
    if _DIRECT in item.stash:
        return item.stash[_DIRECT]
    plan: DirectCall | None = None
    if isinstance(item, pytest.Function) and item.cls is None:
        callspec = getattr(item, "callspec", None)
        params = dict(callspec.params) if callspec is not None else {}
        fixtures = tuple(name for name in item.fixturenames if name not in params)
        arguments = tuple(inspect.signature(item.function).parameters)
        known = plugin.providers
        if all(name in known for name in fixtures) and set(arguments) <= set(fixtures) | set(params):
            plan = DirectCall(fixtures, arguments, params)
    item.stash[_DIRECT] = plan
    return plan


def run_direct(item: pytest.Item, plan: DirectCall, plugin: GradingPlugin) -> None:
    """Call the test with fresh fixtures and add its result to the plugin's, as pytest's protocol would."""
    assert isinstance(item, pytest.Function)
    providers = plugin.providers
    started = time.perf_counter()
    # recorded.in_a_test() reads this (a student edition answers its oracles only inside a judge's test).
    os.environ["PYTEST_CURRENT_TEST"] = f"{item.nodeid} (call)"
    plugin.starting(item)
    try:
        values = {name: providers[name]() for name in plan.fixtures}
        values.update(plan.params)
        item.function(**{name: values[name] for name in plan.arguments})
        result = plugin.result_of(item, None)
    except (KeyboardInterrupt, pytest.exit.Exception):
        raise
    except pytest.skip.Exception as skipped:
        result = plugin.not_run(item, str(skipped.msg))
    except BaseException as error:  # noqa: BLE001 - a failed test, judged by what it raised
        result = plugin.result_of(item, error, traceback.format_exception_only(error)[-1].strip())
    finally:
        plugin.finished()
        os.environ.pop("PYTEST_CURRENT_TEST", None)
    plugin.results.append(replace(result, duration=time.perf_counter() - started))
