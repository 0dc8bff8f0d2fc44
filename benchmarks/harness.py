"""Runs benchmark modules, stamps and validates their results, writes them, regenerates the docs."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

from . import OURS, render, schema

PACKAGE_DIR = Path(__file__).resolve().parent
RESULTS_DIR = PACKAGE_DIR / "results"
DOCS_PATH = PACKAGE_DIR.parent / "docs" / "benchmarks.md"
PREFIX = "bench_"


def names() -> list[str]:
    """Every benchmark: one per ``bench_<name>.py`` in this package."""
    return sorted(path.stem[len(PREFIX) :] for path in PACKAGE_DIR.glob(PREFIX + "*.py"))


def load(name: str):
    """Import ``bench_<name>`` and check that it has what the harness needs."""
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a benchmark name (known: {', '.join(names())})")
    module = importlib.import_module(f"{__package__}.{PREFIX}{name}")
    if getattr(module, "NAME", None) != name:
        raise ValueError(f"{module.__name__}.NAME must be {name!r}")
    anchor = getattr(module, "ANCHOR", None)
    if not isinstance(getattr(module, "DESCRIPTION", None), str) or not callable(getattr(module, "run", None)):
        raise ValueError(f"{module.__name__} needs DESCRIPTION (str) and run()")
    if not isinstance(anchor, dict) or not all(isinstance(anchor.get(k), str) for k in ("name", "why")):
        raise ValueError(f"{module.__name__}.ANCHOR must be a dict with 'name' and 'why'")
    return module


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict:
    """The machine a result was measured on; keys are ``schema.MACHINE_KEYS``."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count() or 1,  # logical CPUs, as the kernel counts them
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def measure(module) -> dict:
    """Run one benchmark module and return its validated result."""
    cases = module.run()
    result = {
        "benchmark": module.NAME,
        "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "cases": cases,
    }
    schema.validate(result, systems={OURS, module.ANCHOR["name"]})
    systems = {case["system"] for case in cases}
    if systems != {OURS, module.ANCHOR["name"]}:  # a side-by-side benchmark needs both sides
        raise schema.InvalidResult(f"{module.NAME}: systems measured {sorted(systems)}, expected ours and the anchor")
    return result


def write_atomically(path: Path, text: str) -> None:
    """Readers (and a crash half-way) see the old file or the new one, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as tmp:
        tmp.write(text)
        tmp.flush()
        os.fsync(tmp.fileno())
    try:
        os.chmod(tmp.name, 0o644)  # mkstemp creates 0600; results are committed and shared
        os.replace(tmp.name, path)
    except BaseException:
        os.unlink(tmp.name)
        raise


def regenerate_docs(results_dir: Path = RESULTS_DIR, docs_path: Path = DOCS_PATH, loader=load) -> None:
    """Rewrite the docs page from every result file (a file that breaks the schema is an error)."""
    results, infos = [], {}
    for path in sorted(Path(results_dir).glob("*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        try:
            schema.validate(result)
        except schema.InvalidResult as exc:
            raise schema.InvalidResult(f"{path}: {exc}") from None
        results.append(result)
        try:
            module = loader(result["benchmark"])
            infos[result["benchmark"]] = {"description": module.DESCRIPTION, "anchor": module.ANCHOR}
        except (ImportError, ValueError):
            pass  # a result whose module is gone still gets its table
    write_atomically(Path(docs_path), render.markdown(results, infos))


def run(selected, results_dir: Path = RESULTS_DIR, docs_path: Path = DOCS_PATH, loader=load, out=sys.stderr) -> int:
    """Run the named benchmarks; 0 when all succeeded. A failed one keeps its previous JSON."""
    failed = []
    for name in selected:
        print(f"benchmark {name}: running", file=out, flush=True)
        try:
            result = measure(loader(name))
            path = Path(results_dir) / f"{name}.json"
            write_atomically(path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        except Exception:  # report it, keep going: one broken benchmark must not hide the others
            traceback.print_exc(file=out)
            print(f"benchmark {name}: FAILED (previous result left in place)", file=out, flush=True)
            failed.append(name)
            continue
        print(f"benchmark {name}: wrote {path}", file=out, flush=True)
    regenerate_docs(results_dir, docs_path, loader)
    print(f"docs regenerated: {docs_path}", file=out, flush=True)
    return 1 if failed else 0
