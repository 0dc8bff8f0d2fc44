"""CLI: ``python -m rtc_lab serve|start|stop|status``.

``serve`` runs the AWS endpoint and the IMDS stand-in in the foreground, logging to stderr.
``start``/``stop``/``status`` manage the same as a daemon with a pidfile and a log under
``--state-dir``; each prints one JSON object on stdout (``changed`` for Ansible's changed_when).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from . import DEFAULT_REGION, TEST_CREDENTIALS, control
from .netutil import parse_listen


def _add_service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aws-listen",
        action="append",
        type=parse_listen,
        metavar="HOST:PORT",
        help="address for the AWS endpoint; repeat for several (default 127.0.0.1:5000)",
    )
    parser.add_argument(
        "--imds-listen",
        action="append",
        type=parse_listen,
        default=[],
        metavar="HOST:PORT",
        help="address for the IMDSv2 stand-in; repeat for several (default: no IMDS)",
    )
    parser.add_argument(
        "--aws-url", help="URL the IMDS stand-in uses to reach the endpoint (default: first --aws-listen)"
    )
    parser.add_argument("--region", default=DEFAULT_REGION)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rtc_lab", description=__doc__.split("\n", maxsplit=1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run in the foreground")
    _add_service_options(serve)
    serve.add_argument("--state-file", type=Path, help=argparse.SUPPRESS)  # written by start's child
    start = commands.add_parser("start", help="start as a daemon unless already running")
    _add_service_options(start)
    start.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for every listener")
    stop = commands.add_parser("stop", help="stop the daemon if it runs")
    status = commands.add_parser("status", help="report the daemon; exit 0 running, 1 not answering, 3 not running")
    for sub in (start, stop, status):
        sub.add_argument(
            "--state-dir", type=Path, default=Path("/run/rtc-lab"), help="pidfile, log and state (default /run/rtc-lab)"
        )
    return parser


def _config(args: argparse.Namespace) -> dict:
    aws = [f"{h}:{p}" for h, p in args.aws_listen or [("127.0.0.1", 5000)]]
    first_host, first_port = parse_listen(aws[0])
    if first_host == "0.0.0.0":  # a wildcard listener is reached through loopback
        first_host = "127.0.0.1"
    return {
        "aws_listen": aws,
        "imds_listen": [f"{h}:{p}" for h, p in args.imds_listen],
        # Port 0 (any free port) is only known once bound: serve() fills the URL in then.
        "aws_url": args.aws_url or (f"http://{first_host}:{first_port}" if first_port else None),
        "region": args.region,
    }


def serve(config: dict, state_file: Path | None = None) -> int:
    from .endpoint import Endpoint
    from .imds import ImdsServer

    # Anything in this process that builds a boto3 client must never look for credentials
    # on the CI machine's own metadata service.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", TEST_CREDENTIALS["aws_access_key_id"])
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIALS["aws_secret_access_key"])
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    endpoint = Endpoint([parse_listen(a) for a in config["aws_listen"]])
    endpoint.start()
    try:
        aws_url = config["aws_url"] or endpoint.url
        imds = ImdsServer(aws_url, [parse_listen(a) for a in config["imds_listen"]], config["region"])
        imds.start()
        if state_file is not None:
            # The configuration as asked for (start compares it), and the URL as bound.
            state = {"pid": os.getpid(), "config": config, "aws_url": aws_url}
            state.update(aws=endpoint.addresses, imds=imds.addresses)
            state_file.write_text(json.dumps(state))
        logging.getLogger(__name__).info("serving; aws_url=%s", aws_url)
        stopping.wait()
        imds.stop()
    finally:
        endpoint.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
        return serve(_config(args), args.state_file)
    if args.command == "start":
        result, code = control.start(args.state_dir, _config(args), args.timeout)
    elif args.command == "stop":
        result, code = control.stop(args.state_dir)
    else:
        result, code = control.status(args.state_dir)
    if result.get("msg") == "already running":
        print("already running", file=sys.stderr)
    print(json.dumps(result, sort_keys=True))
    return code


if __name__ == "__main__":
    sys.exit(main())
