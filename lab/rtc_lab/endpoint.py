"""The lab's AWS endpoint: moto's server app, corrected, on one or more listening addresses.

One app (so one set of moto backends) answers on every address: the controller reaches it on
127.0.0.1 and lab containers on the podman bridge address, and both must see the same state.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import moto_corrections
from .netutil import Listeners

log = logging.getLogger(__name__)
_RPC_V2_PATH = re.compile(r"^/service/[^/]+/operation/([^/]+)$")


class Endpoint(Listeners):
    """moto (ec2, route53, sts, iam, cloudwatch and the rest) with the lab's corrections.

    ``listen`` is a list of (host, port); port 0 picks a free port. ``start()`` returns the
    bound addresses; ``stop()`` closes every listener. ``on_request``, when given, is called with
    the AWS API action of every request (see :func:`request_action`) before it is served, on the
    server's thread; benchmarks count API calls with it.
    """

    label = "AWS endpoint"

    def __init__(
        self,
        listen: Iterable[tuple[str, int]] = (("127.0.0.1", 0),),
        on_request: Callable[[str], None] | None = None,
    ):
        super().__init__(listen)
        self._app = None
        self._on_request = on_request

    def start(self) -> list[tuple[str, int]]:
        moto_corrections.apply()
        self._app = DomainDispatcherApplication(create_backend_app)
        if self._on_request is not None:
            self._app = _Reporting(self._app, self._on_request)
        return super().start()

    def _make_server(self, sock):
        host, port = sock.getsockname()[:2]
        # werkzeug would bind (and sys.exit on failure) itself; handing it our socket keeps
        # IP_FREEBIND and lets bind errors surface as exceptions. It duplicates the descriptor.
        with sock:
            return make_server(
                host, port, self._app, threaded=True, request_handler=MotoRequestHandler, fd=sock.fileno()
            )


def request_action(environ: dict) -> str:
    """The AWS API action a WSGI request asks for.

    The ``Action`` parameter of the query protocols (EC2, IAM, STS: form body or query string),
    else the operation named by ``X-Amz-Target`` (JSON protocols, e.g. CloudWatch Logs) or by the
    path ``/service/<service>/operation/<operation>`` (Smithy RPC v2 CBOR, which botocore uses for
    CloudWatch), else ``METHOD /path`` (REST protocols such as Route 53). A form body that is read
    is put back for the app.
    """
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("Action"):
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            form = parse_qs(body.decode("utf-8", "replace"))
            if form.get("Action"):
                return form["Action"][0]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rpartition(".")[2]
    path = environ.get("PATH_INFO", "")
    rpc = _RPC_V2_PATH.match(path)
    if rpc:
        return rpc.group(1)
    return f"{environ.get('REQUEST_METHOD', '')} {path}"


class _Reporting:
    """WSGI middleware: reports each request's action to ``on_request``, then lets ``app`` serve it."""

    def __init__(self, app, on_request: Callable[[str], None]):
        self._app, self._on_request = app, on_request

    def __call__(self, environ: dict, start_response):
        self._on_request(request_action(environ))
        return self._app(environ, start_response)
