"""The result format of a benchmark run, and a validator for it (no third-party dependency).

A result is ``{"benchmark", "date", "machine", "cases"}``: ``date`` is UTC ISO 8601, ``machine``
is an object with exactly ``MACHINE_KEYS``, and every case is ``{"case", "system", "metrics"}``
with ``metrics`` mapping names to numbers. Exact key sets (no extras) keep the committed files
comparable from run to run.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

TOP_KEYS = ("benchmark", "date", "machine", "cases")
CASE_KEYS = ("case", "system", "metrics")
# name -> type; memory is in bytes so that no rounding hides a different machine.
MACHINE_KEYS = {"cpu_model": str, "cores": int, "memory_bytes": int, "kernel": str, "python": str}


class InvalidResult(ValueError):
    """A result that does not match the schema; the message lists every problem found."""


def _is_number(value) -> bool:
    # bool is an int to Python, but true/false is not a measurement.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _keys(where: str, obj, expected) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where} must be an object, not {type(obj).__name__}"]
    problems = [f"{where} lacks {key!r}" for key in expected if key not in obj]
    problems += [f"{where} has unknown key {key!r}" for key in obj if key not in expected]
    return problems


def _date_problems(value) -> list[str]:
    if not isinstance(value, str):
        return ["date must be an ISO 8601 string"]
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return [f"date {value!r} is not ISO 8601"]
    if stamp.utcoffset() != timedelta(0):
        return [f"date {value!r} is not in UTC"]
    return []


def _machine_problems(machine) -> list[str]:
    problems = _keys("machine", machine, MACHINE_KEYS)
    if not isinstance(machine, dict):
        return problems
    for key, kind in MACHINE_KEYS.items():
        value = machine.get(key)
        if key in machine and (not isinstance(value, kind) or isinstance(value, bool) or value in ("", 0)):
            problems.append(f"machine.{key} must be a non-empty {kind.__name__}, not {value!r}")
    return problems


def _case_problems(index: int, case, systems) -> list[str]:
    where = f"cases[{index}]"
    problems = _keys(where, case, CASE_KEYS)
    if not isinstance(case, dict):
        return problems
    for key in ("case", "system"):
        if key in case and not _is_text(case[key]):
            problems.append(f"{where}.{key} must be a non-empty string, not {case[key]!r}")
    if systems is not None and isinstance(case.get("system"), str) and case["system"] not in systems:
        problems.append(f"{where}.system {case['system']!r} is none of {sorted(systems)}")
    metrics = case.get("metrics", {})
    if not isinstance(metrics, dict) or not metrics:
        problems.append(f"{where}.metrics must be a non-empty object")
        return problems
    for name, value in metrics.items():
        if not _is_text(name) or not _is_number(value):
            problems.append(f"{where}.metrics[{name!r}] must be a finite number, not {value!r}")
    return problems


def problems(result, systems=None) -> list[str]:
    """Every way ``result`` breaks the schema (empty when valid).

    ``systems``, when given, is the set of allowed ``system`` values (ours and the anchor's name).
    """
    found = _keys("result", result, TOP_KEYS)
    if not isinstance(result, dict):
        return found
    if "benchmark" in result and not _is_text(result["benchmark"]):
        found.append("benchmark must be a non-empty string")
    if "date" in result:
        found += _date_problems(result["date"])
    if "machine" in result:
        found += _machine_problems(result["machine"])
    cases = result.get("cases", [])
    if not isinstance(cases, list) or not cases:
        found.append("cases must be a non-empty list")
        return found
    seen = set()
    for index, case in enumerate(cases):
        found += _case_problems(index, case, systems)
        key = (case.get("case"), case.get("system")) if isinstance(case, dict) else (None, None)
        if all(isinstance(part, str) for part in key):
            if key in seen:
                found.append(f"cases[{index}] repeats case {key[0]!r} for system {key[1]!r}")
            seen.add(key)
    return found


def validate(result, systems=None) -> None:
    """Raise :class:`InvalidResult` unless ``result`` matches the schema."""
    found = problems(result, systems)
    if found:
        raise InvalidResult("; ".join(found))
