"""Command line: ``python -m benchmarks run --all | run NAME... | render | list`` (see --help)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import harness


def parse(argv):
    paths = argparse.ArgumentParser(add_help=False)
    # Overridable so that tests can run the harness without touching the committed files.
    paths.add_argument("--results-dir", type=Path, default=harness.RESULTS_DIR, help="where <name>.json go")
    paths.add_argument("--docs", type=Path, default=harness.DOCS_PATH, help="the generated markdown page")
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Side-by-side benchmarks.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", parents=[paths], help="run benchmarks, write their JSON, regenerate the docs")
    run.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (see `list`)")
    run.add_argument("--all", action="store_true", help="run every benchmark")
    commands.add_parser("render", parents=[paths], help="regenerate the docs from the JSON results")
    commands.add_parser("list", help="list the benchmarks")
    args = parser.parse_args(argv)
    if args.command == "run" and args.all == bool(args.names):
        parser.error("run needs either --all or benchmark names, not both")
    return args


def main(argv=None) -> int:
    args = parse(argv)
    if args.command == "list":
        for name in harness.names():
            print(f"{name}\t{harness.load(name).DESCRIPTION.splitlines()[0]}")
        return 0
    if args.command == "render":
        harness.regenerate_docs(args.results_dir, args.docs)
        return 0
    known = harness.names()
    unknown = [name for name in args.names if name not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    return harness.run(known if args.all else args.names, args.results_dir, args.docs)


if __name__ == "__main__":
    sys.exit(main())
