"""The lab's AWS endpoint: moto's server app, corrected, on one or more listening addresses.

One app (so one set of moto backends) answers on every address: the controller reaches it on
127.0.0.1 and lab containers on the podman bridge address, and both must see the same state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import moto_corrections
from .netutil import Listeners

log = logging.getLogger(__name__)


class Endpoint(Listeners):
    """moto (ec2, route53, sts, iam, cloudwatch and the rest) with the lab's corrections.

    ``listen`` is a list of (host, port); port 0 picks a free port. ``start()`` returns the
    bound addresses; ``stop()`` closes every listener.
    """

    label = "AWS endpoint"

    def __init__(self, listen: Iterable[tuple[str, int]] = (("127.0.0.1", 0),)):
        super().__init__(listen)
        self._app = None

    def start(self) -> list[tuple[str, int]]:
        moto_corrections.apply()
        self._app = DomainDispatcherApplication(create_backend_app)
        return super().start()

    def _make_server(self, sock):
        host, port = sock.getsockname()[:2]
        # werkzeug would bind (and sys.exit on failure) itself; handing it our socket keeps
        # IP_FREEBIND and lets bind errors surface as exceptions. It duplicates the descriptor.
        with sock:
            return make_server(
                host, port, self._app, threaded=True, request_handler=MotoRequestHandler, fd=sock.fileno()
            )
