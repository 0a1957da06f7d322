"""The small check runner the client scripts share: `@check` registers a check (a function, or a
coroutine function), `expect` fails one with a message, `run` runs them all, prints one line per
check, the versions of what was tested and a summary line the Rust tests look for, and answers the
process's exit code."""

import asyncio
import inspect
from importlib import metadata
import sys

_CHECKS = []


def check(function):
    _CHECKS.append(function)
    return function


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def run(name, packages):
    """Runs every registered check; `packages` are the distributions whose versions to print."""
    passed = failed = 0
    for function in _CHECKS:
        try:
            result = function()
            if inspect.iscoroutine(result):
                asyncio.run(result)
        except Exception as error:  # report every check, then fail the run
            failed += 1
            print(f"FAIL {function.__name__}: {type(error).__name__}: {error}", flush=True)
        else:
            passed += 1
            print(f"ok   {function.__name__}", flush=True)
    versions = "; ".join(f"{package} {metadata.version(package)}" for package in packages)
    print(f"{versions}; python {sys.version.split()[0]}")
    print(f"{name}: {passed} passed, {failed} failed")
    return 1 if failed else 0
