"""The lab's AWS endpoint: moto's server app, corrected, on one or more listening addresses.

One app (so one set of moto backends) answers on every address: the controller reaches it on
127.0.0.1 and lab containers on the podman bridge address, and both must see the same state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from . import moto_corrections
from .netutil import bind_freebind

log = logging.getLogger(__name__)


class Endpoint:
    """moto (ec2, route53, sts, iam, cloudwatch and the rest) with the lab's corrections.

    ``listen`` is a list of (host, port); port 0 picks a free port. ``start()`` returns the
    bound addresses; ``stop()`` closes every listener.
    """

    def __init__(self, listen: Iterable[tuple[str, int]] = (("127.0.0.1", 0),)):
        self._listen = list(listen)
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(s.host, s.port) for s in self._servers]

    @property
    def url(self) -> str:
        host, port = self.addresses[0]
        return f"http://{host}:{port}"

    def start(self) -> list[tuple[str, int]]:
        moto_corrections.apply()
        app = DomainDispatcherApplication(create_backend_app)
        try:
            for host, port in self._listen:
                sock = bind_freebind(host, port)
                # werkzeug would bind (and sys.exit on failure) itself; handing it our socket
                # keeps IP_FREEBIND and lets bind errors surface as exceptions.
                with sock:
                    server = make_server(
                        host, port, app, threaded=True, request_handler=MotoRequestHandler, fd=sock.fileno()
                    )
                self._servers.append(server)
        except BaseException:
            self.stop()
            raise
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, name=f"aws-{server.port}", daemon=True)
            thread.start()
            self._threads.append(thread)
            log.info("AWS endpoint listening on %s:%d", server.host, server.port)
        return self.addresses

    def stop(self) -> None:
        for thread, server in zip(self._threads, self._servers, strict=False):
            server.shutdown()
            thread.join()
        for server in self._servers[len(self._threads) :]:
            server.server_close()  # bound but never served (start failed part way)
        self._servers, self._threads = [], []

    def __enter__(self) -> Endpoint:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
