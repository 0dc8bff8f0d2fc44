# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The IMDSv2 (instance metadata service, version 2) client of rtc.ec2_fleet.

This is the one metadata client of the collection.  The ``instance_metadata``
module uses it on managed nodes and the node-side agents (which run without
Ansible) import the very same file, so it depends on the Python standard
library only (3.8+) and never imports anything from ``ansible``.

Only IMDSv2 is spoken: a session token is obtained with
``PUT /latest/api/token`` and sent with every ``GET``.  The endpoint is a
setting: :data:`DEFAULT_ENDPOINT` on EC2, the URL of the metadata stand-in in
the lab.  Every failure is raised as :class:`ImdsError`, whose message names
the URL, what went wrong and what to check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import socket
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

DEFAULT_ENDPOINT = "http://169.254.169.254"
DEFAULT_TOKEN_TTL = 21600
MIN_TOKEN_TTL = 1
MAX_TOKEN_TTL = 21600
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 3

# Names of the IMDSv2 protocol, not secrets.
TOKEN_PATH = "api/token"  # noqa: S105
TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"  # noqa: S105
TOKEN_HEADER = "X-aws-ec2-metadata-token"  # noqa: S105

# Statuses worth another attempt: throttling and server-side failures.
_RETRY_STATUSES = frozenset([429, 500, 502, 503, 504])

_HINT_UNREACHABLE = (
    "on EC2 check the instance metadata options (HttpEndpoint=enabled, HttpTokens and, when "
    "calling from a container, HttpPutResponseHopLimit >= 2); in the lab check that the IMDS "
    "stand-in is running and that the endpoint option (or RTC_IMDS_ENDPOINT) points at it"
)

# Jitter only spreads retries out in time; it has no security purpose.
_RANDOM = random.SystemRandom()


class ImdsError(Exception):
    """Any failure to talk to the metadata service or to make sense of its answers.

    ``url`` is the URL concerned (or the endpoint), ``status`` the HTTP status
    when there was one (``None`` for transport errors and invalid settings).
    """

    def __init__(self, message, url=None, status=None):
        super(ImdsError, self).__init__(message)
        self.message = message
        self.url = url
        self.status = status

    def __str__(self):
        return self.message


class _NoRedirect(HTTPRedirectHandler):
    """IMDS never redirects; following one would hand the session token to another URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _Transient(Exception):
    """One failed attempt that may succeed when tried again (internal)."""

    def __init__(self, reason, status=None):
        super(_Transient, self).__init__(reason)
        self.reason = reason
        self.status = status


def _validate_endpoint(endpoint):
    if not isinstance(endpoint, str) or not endpoint:
        raise ImdsError("invalid IMDS endpoint %r: expected a URL such as %s" % (endpoint, DEFAULT_ENDPOINT))
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImdsError(
            "invalid IMDS endpoint %r: expected an http:// or https:// URL such as %s "
            "(in the lab: the stand-in's URL, e.g. http://10.89.0.1:8169)" % (endpoint, DEFAULT_ENDPOINT),
            url=endpoint,
        )
    if parts.query or parts.fragment:
        raise ImdsError("invalid IMDS endpoint %r: it must not carry a query or fragment" % endpoint, url=endpoint)
    return endpoint.rstrip("/")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class ImdsClient:
    """An IMDSv2 client.

    :param endpoint: base URL of the metadata service, without ``/latest``.
    :param token_ttl: lifetime requested for session tokens, 1..21600 seconds.
    :param timeout: socket timeout of each request, in seconds.
    :param retries: further attempts after a connection error, a timeout, HTTP 429 or 5xx.
    :param backoff_base: first retry waits up to this many seconds; the bound doubles per retry.
    :param backoff_cap: upper bound of a single wait, in seconds.
    :param sleep: the sleeping function (tests pass a recorder).
    :param clock: a monotonic clock in seconds (tests pass a fake one).

    A token is reused until shortly before it expires.  A ``401`` answer to a
    ``GET`` (token revoked or expired early) fetches a new token once.
    """

    def __init__(
        self,
        endpoint=DEFAULT_ENDPOINT,
        token_ttl=DEFAULT_TOKEN_TTL,
        timeout=DEFAULT_TIMEOUT,
        retries=DEFAULT_RETRIES,
        backoff_base=0.1,
        backoff_cap=2.0,
        sleep=time.sleep,
        clock=time.monotonic,
    ):
        self._endpoint = _validate_endpoint(endpoint)
        if not _is_int(token_ttl) or not MIN_TOKEN_TTL <= token_ttl <= MAX_TOKEN_TTL:
            raise ImdsError(
                "invalid IMDS token_ttl %r: it must be an integer number of seconds between %d and %d"
                % (token_ttl, MIN_TOKEN_TTL, MAX_TOKEN_TTL)
            )
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ImdsError("invalid IMDS timeout %r: it must be a positive number of seconds" % (timeout,))
        if not _is_int(retries) or retries < 0:
            raise ImdsError("invalid IMDS retries %r: it must be an integer >= 0" % (retries,))
        self._token_ttl = token_ttl
        self._timeout = float(timeout)
        self._retries = retries
        self._backoff_base = float(backoff_base)
        self._backoff_cap = float(backoff_cap)
        self._sleep = sleep
        self._clock = clock
        self._token = None
        self._token_refresh_at = 0.0
        # No proxies (IMDS is link-local: a proxy from the environment would answer for
        # another machine, or not at all) and no redirects.
        self._opener = build_opener(ProxyHandler({}), _NoRedirect())

    @property
    def endpoint(self):
        """The base URL requests go to."""
        return self._endpoint

    def url(self, path):
        """The full URL of ``path``, relative to ``/latest/`` (e.g. ``meta-data/instance-id``)."""
        return "%s/latest/%s" % (self._endpoint, quote(path.lstrip("/"), safe="/:"))

    # -- session token -------------------------------------------------

    def invalidate_token(self):
        """Forget the current session token; the next request fetches a new one."""
        self._token = None
        self._token_refresh_at = 0.0

    def token(self):
        """Return a valid session token, fetching one when there is none or it is about to expire."""
        now = self._clock()
        if self._token is not None and now < self._token_refresh_at:
            return self._token
        url = self.url(TOKEN_PATH)
        status, body = self._send("PUT", url, {TOKEN_TTL_HEADER: str(self._token_ttl)})
        if status == 200 and body and body.strip():
            self._token = body.strip()
            # Renew a little before the service would: a tenth of the lifetime, at most a minute.
            self._token_refresh_at = now + self._token_ttl - min(60.0, self._token_ttl / 10.0)
            return self._token
        self.invalidate_token()
        if status == 200:
            raise ImdsError(
                "IMDSv2 endpoint %s returned an empty session token for PUT %s" % (self._endpoint, url), url, status
            )
        if status == 400:
            detail = "rejected the token TTL %d (HTTP 400); use 1..21600 seconds" % self._token_ttl
        elif status == 403:
            detail = (
                "refused the session token (HTTP 403): IMDS is disabled for this instance or the request "
                "was forwarded through a proxy (X-Forwarded-For)"
            )
        elif status in (404, 405):
            detail = (
                "does not issue session tokens (HTTP %d): it is not an IMDSv2 service; check the endpoint URL" % status
            )
        else:
            detail = "refused the session token request (HTTP %d)" % status
        raise ImdsError("IMDSv2 endpoint %s %s [PUT %s]" % (self._endpoint, detail, url), url, status)

    # -- reads ---------------------------------------------------------

    def get(self, path):
        """GET ``path`` (relative to ``/latest/``) and return its text, or ``None`` on HTTP 404."""
        url = self.url(path)
        status, body = self._send("GET", url, {TOKEN_HEADER: self.token()})
        if status == 401:
            # Token revoked or expired early: fetch a fresh one, once.
            self.invalidate_token()
            status, body = self._send("GET", url, {TOKEN_HEADER: self.token()})
            if status == 401:
                raise ImdsError(
                    "IMDSv2 endpoint %s rejected a freshly issued session token for GET %s (HTTP 401); "
                    "the service may be restarting, try again" % (self._endpoint, url),
                    url,
                    status,
                )
        if status == 200:
            return body
        if status == 404:
            return None
        raise ImdsError("IMDSv2 endpoint %s answered GET %s with HTTP %d" % (self._endpoint, url, status), url, status)

    def get_listing(self, path):
        """GET a listing and return its entries, without the trailing ``/`` of sub-directories.

        ``None`` on HTTP 404 (e.g. ``ipv4-associations/`` of an interface without public addresses).
        """
        body = self.get(path)
        if body is None:
            return None
        return _lines(body, strip_slash=True)

    def require(self, path):
        """Like :meth:`get`, but an item that must exist raises :class:`ImdsError` when missing."""
        body = self.get(path)
        if body is None:
            url = self.url(path)
            raise ImdsError(
                "IMDSv2 endpoint %s has no %s (HTTP 404), which every EC2 instance has; check that the "
                "endpoint is an instance metadata service (in the lab: that the stand-in serves this item)"
                % (self._endpoint, url),
                url,
                404,
            )
        return body

    # -- transport -----------------------------------------------------

    def _send(self, method, url, headers):
        """Send one request with retries; return ``(status, text)`` for any non-retryable answer."""
        attempts = self._retries + 1
        last = None
        for attempt in range(attempts):
            if attempt:
                bound = min(self._backoff_cap, self._backoff_base * (2 ** (attempt - 1)))
                self._sleep(_RANDOM.uniform(0, bound))
            try:
                return self._send_once(method, url, headers)
            except _Transient as exc:
                last = exc
        if last.status is not None:
            raise ImdsError(
                "IMDSv2 endpoint %s kept failing: %s %s answered %s after %d attempt(s); the metadata "
                "service is unhealthy or throttling, try again later or raise retries"
                % (self._endpoint, method, url, last.reason, attempts),
                url,
                last.status,
            )
        raise ImdsError(
            "IMDSv2 endpoint %s unreachable: %s %s failed after %d attempt(s): %s; %s"
            % (self._endpoint, method, url, attempts, last.reason, _HINT_UNREACHABLE),
            url,
        )

    def _send_once(self, method, url, headers):
        # The scheme is checked in _validate_endpoint: http or https only.
        request = Request(url, data=b"" if method == "PUT" else None, headers=headers, method=method)  # noqa: S310
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except HTTPError as exc:
            status = exc.code
            exc.close()
            if status in _RETRY_STATUSES:
                raise _Transient("HTTP %d" % status, status) from None
            return status, None
        except socket.timeout:
            raise _Transient("timed out after %gs" % self._timeout) from None
        except URLError as exc:
            reason = exc.reason
            if isinstance(reason, socket.timeout):
                raise _Transient("timed out after %gs" % self._timeout) from None
            raise _Transient(str(reason)) from None
        except (OSError, HTTPException) as exc:
            raise _Transient("%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__) from None


def _lines(text, strip_slash=False):
    items = []
    for line in text.splitlines():
        line = line.strip()
        if strip_slash:
            line = line.rstrip("/")
        if line:
            items.append(line)
    return items


def _as_int(client, path, text):
    try:
        return int(text.strip())
    except ValueError:
        url = client.url(path)
        raise ImdsError(
            "IMDSv2 endpoint %s returned %r for %s, expected an integer" % (client.endpoint, text, url), url
        ) from None


def _interface(client, mac):
    base = "meta-data/network/interfaces/macs/%s/" % mac
    device_number_path = base + "device-number"
    public_ipv4s = client.get(base + "public-ipv4s")
    associations = {}
    for public_ip in client.get_listing(base + "ipv4-associations/") or []:
        private_ip = client.get(base + "ipv4-associations/" + public_ip)
        if private_ip is not None and private_ip.strip():
            associations[public_ip] = private_ip.strip()
    return {
        "mac": mac,
        "device_number": _as_int(client, device_number_path, client.require(device_number_path)),
        "interface_id": client.require(base + "interface-id").strip(),
        "subnet_id": client.require(base + "subnet-id").strip(),
        "subnet_ipv4_cidr_block": client.require(base + "subnet-ipv4-cidr-block").strip(),
        "vpc_id": client.require(base + "vpc-id").strip(),
        "local_ipv4s": _lines(client.require(base + "local-ipv4s")),
        "public_ipv4s": _lines(public_ipv4s) if public_ipv4s is not None else [],
        "ipv4_associations": associations,
    }


def gather_instance_identity(client):
    """Read the identity and network layout of the instance into a plain dict.

    Keys: ``instance_id``, ``instance_type``, ``ami_id``, ``region``,
    ``availability_zone``, ``availability_zone_id``, ``placement_group``
    (``None`` outside a placement group), ``mac`` (primary interface),
    ``local_ipv4``, ``public_ipv4`` (``None`` without one) and ``interfaces``:
    a list ordered by device number of dicts with ``mac``, ``device_number``,
    ``interface_id``, ``subnet_id``, ``subnet_ipv4_cidr_block``, ``vpc_id``,
    ``local_ipv4s`` (primary address first), ``public_ipv4s`` and
    ``ipv4_associations`` (public address -> private address).
    """

    def required(path):
        return client.require("meta-data/" + path).strip()

    def optional(path):
        value = client.get("meta-data/" + path)
        if value is None or not value.strip():
            return None
        return value.strip()

    identity = {
        "instance_id": required("instance-id"),
        "instance_type": required("instance-type"),
        "ami_id": required("ami-id"),
        "region": required("placement/region"),
        "availability_zone": required("placement/availability-zone"),
        "availability_zone_id": required("placement/availability-zone-id"),
        "placement_group": optional("placement/group-name"),
        "mac": required("mac"),
        "local_ipv4": required("local-ipv4"),
        "public_ipv4": optional("public-ipv4"),
    }
    macs = client.get_listing("meta-data/network/interfaces/macs/")
    if not macs:
        url = client.url("meta-data/network/interfaces/macs/")
        raise ImdsError(
            "IMDSv2 endpoint %s lists no network interfaces at %s; every EC2 instance has at least one"
            % (client.endpoint, url),
            url,
            404 if macs is None else None,
        )
    identity["interfaces"] = sorted((_interface(client, mac) for mac in macs), key=lambda item: item["device_number"])
    return identity
