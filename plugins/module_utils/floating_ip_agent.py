# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The node-side failover agent of rtc.ec2_fleet: keepalived's state changes become verified EC2 takeovers.

The keepalived role installs this file on each node of an active-standby pair, beside ``floating_ip.py``,
``aws_api.py`` and ``imds.py`` (loaded by path, no Ansible on the node), and runs it as a systemd service.
keepalived writes its state changes to a FIFO (``vrrp_notify_fifo``), one line per change, e.g.
``INSTANCE "VI_edge1" MASTER 150``; the agent reads them and

* on ``MASTER`` and on ``MASTER_RX_LOWER_PRI`` (a master hearing a lower-priority master: after a broken
  VRRP link both were masters, and the other may hold the address) takes the floating address: a
  same-AZ pair reassigns the secondary private IP to its own ENI (an Elastic IP on it follows), a
  cross-AZ pair reassociates the Elastic IP with its own private address. The work is the library's
  ``ensure_secondary_ips`` / ``ensure_eip`` (``floating_ip.py``, the one implementation): validate, change,
  read back until the change shows. Nothing is ever taken away first, so there is no window without
  the address;
* retries the whole takeover (it re-reads the state, so a call that failed after being applied is not
  repeated blindly) with bounded jittered backoff on throttling, 5xx and connection errors, on a new
  client (new connections) after a connection error, until the takeover is verified or keepalived
  reports another state (the FIFO is read while it waits); past ``takeover_timeout`` it says so at
  priority ``crit`` and goes on. A permanent error (permission denied, a wrong address) stops at once;
* while MASTER, checks every ``check_interval`` seconds through instance metadata (free, not rate
  limited) that the address is still its own, and takes it back if not -- the split-brain repair that
  does not depend on hearing the other node;
* logs every step with its duration to the journal (``<N>`` priority prefixes, read by systemd) and
  writes a JSON status file at every step: on a state change before anything else, then before the
  first attempt (``pending``), after every failed one (``retrying``, with the attempts and the last
  error) and at the end (``ok``, ``failed``, ``interrupted``); ``holds_address`` is true only once the
  address is verified as this node's. A failed takeover is logged at priority ``crit``.

On ``BACKUP``, ``FAULT`` and ``STOP`` it changes nothing in AWS: the new master takes the address.

Identity (instance, ENI, region) and credentials (the instance profile's) come only from IMDSv2; the
AWS endpoint is a setting (real AWS when unset). A lock file serialises takeovers, so two agents on
one node (the service and a manual ``takeover``) cannot interleave; every step is idempotent.

Needs Python 3.8+, boto3/botocore and the standard library; never imports anything from ``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import errno
import fcntl
import json
import os
import random
import select
import signal
import stat
import sys
import time

try:
    from . import floating_ip, imds
except ImportError:  # loaded by path on the node: the libraries lie beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import floating_ip  # pylint: disable=import-error
    import imds  # pylint: disable=import-error

MODES = ("secondary_ip", "elastic_ip")
# Errors that another attempt cannot fix: stop and say so at once.
PERMANENT_KINDS = frozenset(
    ["permission_denied", "invalid", "not_found", "not_in_subnet", "cross_subnet", "not_on_eni", "eip_in_use"]
)
TAKE_STATES = frozenset(["MASTER", "MASTER_RX_LOWER_PRI"])
KNOWN_STATES = frozenset(["MASTER", "MASTER_RX_LOWER_PRI", "BACKUP", "FAULT", "STOP", "DELETED"])

DEFAULTS = {
    "mode": "secondary_ip",
    "vrrp_instance": None,
    "address": None,  # the floating private IP (secondary_ip mode)
    "allocation_id": None,  # the Elastic IP (elastic_ip mode; also moves along in secondary_ip mode)
    "private_ip": None,  # elastic_ip mode: the own address to associate with (default: the ENI's primary)
    "device_index": 0,
    "endpoint_url": None,  # None: the real regional endpoint
    "imds_endpoint": imds.DEFAULT_ENDPOINT,
    "region": None,  # None: the instance's region, from instance metadata
    "takeover_timeout": 20.0,
    "check_interval": 1.0,
    "reclaim_grace": 0.0,  # see Agent.reconcile: 0 on the higher-priority node, a few seconds on the other
    "connect_timeout": 1.0,
    "read_timeout": 3.0,
    "max_retries": 6,
    "backoff_base": 0.05,
    "backoff_cap": 1.0,
    "fifo": "/run/rtc-failover-agent/notify.fifo",
    "status_file": "/run/rtc-failover-agent/status.json",
    "lock_file": "/run/rtc-failover-agent/takeover.lock",
    # Where a (re)started agent learns keepalived's current state (SIGUSR1 makes keepalived dump it).
    "keepalived_pid_file": "/run/keepalived.pid",
    "keepalived_data_file": "/tmp/keepalived.data",  # noqa: S108 -- keepalived's own path; owner checked
}
_FLOATS = ("takeover_timeout", "check_interval", "connect_timeout", "read_timeout", "backoff_base", "backoff_cap")

# Journal priorities (sd-daemon(3)): systemd reads a "<N>" prefix on each line of stdout/stderr.
CRIT, ERR, WARNING, NOTICE, INFO, DEBUG = 2, 3, 4, 5, 6, 7

# Jitter only spreads retries out in time; it has no security purpose.
_RANDOM = random.SystemRandom()


class AgentError(Exception):
    """A setting, identity or credentials problem: the agent cannot work at all."""


class _DeadlinePassed(Exception):
    """A backoff sleep would end after the takeover deadline (internal)."""


class _Interrupted(Exception):
    """keepalived reported a state of our instance (or the service is stopping) while a takeover waited (internal)."""


# -- settings ----------------------------------------------------------------------------------


def check_settings(raw):
    """The agent's settings from a dict (the role writes them as JSON), with defaults; AgentError if wrong."""
    if not isinstance(raw, dict):
        raise AgentError("settings must be a JSON object, got %r" % (raw,))
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise AgentError("unknown settings: %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
    settings = dict(DEFAULTS)
    settings.update((k, v) for k, v in raw.items() if v is not None)
    if settings["mode"] not in MODES:
        raise AgentError("mode %r: use one of %s" % (settings["mode"], ", ".join(MODES)))
    if not settings["vrrp_instance"]:
        raise AgentError("vrrp_instance is required: the keepalived vrrp_instance whose state the agent follows")
    try:
        if settings["mode"] == "secondary_ip":
            if not settings["address"]:
                raise AgentError("address is required in secondary_ip mode: the floating private IP")
            settings["address"] = floating_ip.parse_ipv4(settings["address"], "address")
        else:
            if not settings["allocation_id"]:
                raise AgentError("allocation_id is required in elastic_ip mode: the Elastic IP to move")
            if settings["private_ip"]:
                settings["private_ip"] = floating_ip.parse_ipv4(settings["private_ip"], "private_ip")
    except floating_ip.FloatingIpError as exc:
        raise AgentError(str(exc)) from None
    for key in _FLOATS:
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise AgentError("%s %r: use a positive number of seconds" % (key, value))
        settings[key] = float(value)
    grace = settings["reclaim_grace"]
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
        raise AgentError("reclaim_grace %r: use a number of seconds >= 0" % (grace,))
    settings["reclaim_grace"] = float(grace)
    for key in ("device_index", "max_retries"):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise AgentError("%s %r: use an integer >= 0" % (key, value))
    return settings


def load_settings(path):
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except (OSError, ValueError) as exc:
        raise AgentError("cannot read the settings file %s: %s" % (path, exc)) from None
    return check_settings(raw)


# -- logging and status ------------------------------------------------------------------------


class Journal:
    """One line per event, with a journal priority prefix and ``key=value`` fields."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.lines = []

    def log(self, priority, message, **fields):
        text = message + "".join(" %s=%s" % (k, _field(v)) for k, v in sorted(fields.items()))
        self.lines.append((priority, text))
        self.stream.write("<%d>%s\n" % (priority, text))
        self.stream.flush()


def _field(value):
    if isinstance(value, float):
        return "%.3f" % value
    text = str(value)
    return json.dumps(text) if (" " in text or not text) else text


def write_status(path, status):
    """Write ``status`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    directory = os.path.dirname(path) or "."
    temporary = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(status, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


# -- identity and credentials (IMDSv2 only) ----------------------------------------------------


def read_credentials(client):
    """The instance profile's temporary credentials from IMDSv2, as a dict (AccessKeyId, ...)."""
    roles = client.get_listing("meta-data/iam/security-credentials/")
    if not roles:
        raise AgentError(
            "instance metadata at %s lists no instance profile role: attach an instance profile whose role "
            "allows the floating-IP actions (see the keepalived role's README)" % client.endpoint
        )
    body = client.require("meta-data/iam/security-credentials/" + roles[0])
    try:
        document = json.loads(body)
    except ValueError:
        raise AgentError("instance metadata returned credentials that are not JSON for role %s" % roles[0]) from None
    if document.get("Code", "Success") != "Success" or not document.get("AccessKeyId"):
        raise AgentError(
            "instance metadata has no usable credentials for role %s: %s" % (roles[0], document.get("Code"))
        )
    return document


def _expiry(document):
    """Seconds since the epoch at which the credentials expire (None when unknown)."""
    text = document.get("Expiration")
    if not text:
        return None
    try:
        return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except ValueError:
        return None


def boto3_client_factory(settings, region, credentials):
    """A boto3 EC2 client with explicit credentials (no credential chain) and short timeouts, no SDK retries."""
    import boto3  # imported here: the unit tests of the settings need no SDK
    from botocore.config import Config

    config = Config(
        connect_timeout=settings["connect_timeout"],
        read_timeout=settings["read_timeout"],
        retries={"total_max_attempts": 1},  # the library's own jittered retries decide
        tcp_keepalive=True,
    )
    return boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=settings["endpoint_url"] or None,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("Token"),
        config=config,
    )


# -- the agent ---------------------------------------------------------------------------------


class Agent:
    """The failover agent of one keepalived vrrp_instance on one node.

    ``imds_client``, ``client_factory``, ``clock``, ``sleep`` and ``wall`` are for tests; by default the
    IMDSv2 client of ``settings['imds_endpoint']``, :func:`boto3_client_factory` and the real clocks.
    """

    CREDENTIALS_MARGIN = 600.0  # renew credentials this many seconds before they expire

    def __init__(
        self,
        settings,
        imds_client=None,
        client_factory=None,
        journal=None,
        clock=None,
        sleep=None,
        wall=None,
        address_is_local=None,
    ):
        self.settings = settings
        self.imds = imds_client or imds.ImdsClient(settings["imds_endpoint"], timeout=1.0, retries=2)
        self.client_factory = client_factory or boto3_client_factory
        self.journal = journal or Journal()
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.wall = wall or time.time
        self.address_is_local = address_is_local or is_local_address
        self.identity = None
        self.interface = None
        self.client = None
        self.credentials = None
        self.credentials_expire = None
        self.state = None
        self.last = None
        self.holding = False  # the floating address verified as this node's (by a takeover, or seen in IMDS)
        self.public_ip = None
        self.absent_since = None
        self.reclaims = 0
        # While run() serves keepalived: takeovers persist, and their waits read the FIFO (see _pause).
        self.serving = False
        self._stop = None
        self._fifo = None
        self._fifo_inode = None
        self._fifo_pending = b""
        self._lines = []  # lines read from the FIFO, not handled yet

    # -- preparation, done once and before any failover, so that a takeover starts at once --------

    def prepare(self):
        started = self.clock()
        try:
            self.identity = imds.gather_instance_identity(self.imds)
        except imds.ImdsError as exc:
            raise AgentError("cannot read this instance's identity: %s" % exc) from None
        by_index = dict((i["device_number"], i) for i in self.identity["interfaces"])
        if self.settings["device_index"] not in by_index:
            raise AgentError(
                "instance %s has no network interface at device index %d"
                % (self.identity["instance_id"], self.settings["device_index"])
            )
        self.interface = by_index[self.settings["device_index"]]
        if self.settings["mode"] == "elastic_ip":
            own = self.settings["private_ip"] or self.interface["local_ipv4s"][0]
            if own not in self.interface["local_ipv4s"]:
                raise AgentError(
                    "private_ip %s is not an address of %s (it has %s)"
                    % (own, self.interface["interface_id"], ", ".join(self.interface["local_ipv4s"]))
                )
            self.settings["private_ip"] = own
        self.refresh_client(force=True)
        if self.settings["mode"] == "secondary_ip":
            self.validate()
        if self.settings["mode"] == "elastic_ip":
            try:
                found = floating_ip.find_eip(
                    self._api(self.clock() + self.settings["takeover_timeout"]),
                    allocation_id=self.settings["allocation_id"],
                )
            except (floating_ip.FloatingIpError, _DeadlinePassed) as exc:
                raise AgentError("cannot read Elastic IP %s: %s" % (self.settings["allocation_id"], exc)) from None
            self.public_ip = found.get("PublicIp")
        self.journal.log(
            INFO,
            "ready",
            instance=self.identity["instance_id"],
            eni=self.interface["interface_id"],
            mode=self.settings["mode"],
            target=self.target(),
            endpoint=self.settings["endpoint_url"] or "aws",
            ms=self.elapsed_ms(started),
        )

    def validate(self):
        """Check once, read-only, that the address can be taken onto this ENI (the library's checks).

        A permanent problem (outside the subnet, a primary address elsewhere, permission denied) stops the
        agent loudly at start, not at the first failover; an unreachable API is only logged.
        """
        try:
            floating_ip.ensure_secondary_ips(
                self._api(self.clock() + self.settings["takeover_timeout"]),
                [self.settings["address"]],
                eni_id=self.interface["interface_id"],
                device_index=None,
                allow_reassignment=True,
                check_mode=True,
            )
        except floating_ip.FloatingIpError as exc:
            if exc.kind in PERMANENT_KINDS and exc.kind != "not_found":
                raise AgentError("the floating address cannot be taken here: %s" % exc) from None
            self.journal.log(WARNING, "could not validate the floating address yet", kind=exc.kind, error=exc)
        except _DeadlinePassed:
            self.journal.log(WARNING, "could not validate the floating address yet", kind="timeout")

    def refresh_client(self, force=False):
        """A new client when the credentials are due for renewal (or ``force``)."""
        fresh = self.credentials_expire is None or self.wall() < self.credentials_expire - self.CREDENTIALS_MARGIN
        if not force and self.client is not None and fresh:
            return
        try:
            credentials = read_credentials(self.imds)
        except imds.ImdsError as exc:
            raise AgentError("cannot read the instance profile's credentials: %s" % exc) from None
        self.credentials = credentials
        self.credentials_expire = _expiry(credentials)
        self.client = self._new_client()

    def _new_client(self):
        return self.client_factory(self.settings, self.settings["region"] or self.identity["region"], self.credentials)

    def renew_connection(self):
        """A new client with the credentials in hand, the old one's connections closed (after a connection error).

        Nothing of the old client's connection pool is used again: a kept-alive connection into a path that
        went away costs a whole ``read_timeout`` before it is given up, and a new client also starts afresh
        whatever else the old one held.
        """
        if self.credentials is None:
            return
        old, self.client = self.client, self._new_client()
        close = getattr(old, "close", None)
        if close is not None:
            try:
                close()
            except Exception as exc:  # pylint: disable=broad-except  # closing must never stop a takeover
                self.journal.log(DEBUG, "closing the old client failed", error=exc)

    def target(self):
        if self.settings["mode"] == "secondary_ip":
            return self.settings["address"]
        return "%s->%s" % (self.settings["allocation_id"], self.settings["private_ip"])

    def elapsed_ms(self, started):
        return round((self.clock() - started) * 1000)

    # -- takeover ---------------------------------------------------------------------------------

    ERRORS_KEPT = 10  # the status file keeps a takeover's last errors and API calls, not all of them
    CALLS_KEPT = 50

    def takeover(self, reason, persist=None):
        """Take the floating address, verified; return the result (also written to the status file).

        ``persist`` (default: true while :meth:`run` serves keepalived) retries with bounded backoff until
        the takeover is verified, a permanent error stops it, or keepalived reports a new state of our
        instance (read from the FIFO during every wait: ``interrupted``); past ``takeover_timeout`` it logs
        ``TAKEOVER FAILED`` at ``crit`` once and goes on. Without it (the ``takeover`` command, a one-shot)
        the takeover gives up at ``takeover_timeout``. The status file is written before the first attempt
        (``pending``) and after every failed one (``retrying``, with the attempts and the last error), so
        it never shows an older state while a takeover is under way. Each attempt takes the lock file.
        """
        persist = self.serving if persist is None else persist
        timeout = self.settings["takeover_timeout"]
        started = self.clock()
        run = {"reason": reason, "started": self.wall(), "attempts": 0, "calls": [], "errors": [], "lock_wait_ms": 0}
        self.holding = False
        self._write_status(self._takeover_status("pending", run, started))
        result = failure = interrupted = None
        late = False
        while True:
            run["attempts"] += 1
            attempt_started = self.clock()
            # A one-shot has one deadline; a persisting takeover gives each attempt the whole timeout.
            deadline = (attempt_started if persist else started) + timeout
            error = None
            try:
                result = self._attempt(run, deadline)
            except floating_ip.FloatingIpError as exc:
                error = exc
            except _DeadlinePassed:
                error = floating_ip.FloatingIpError(
                    "takeover did not complete within takeover_timeout (%gs)" % timeout, "timeout"
                )
            except _Interrupted as exc:
                interrupted = str(exc)
            if error is None:  # verified, or interrupted by a new state from keepalived
                break
            run["errors"] = (run["errors"] + [error.to_dict()])[-self.ERRORS_KEPT :]
            permanent = error.kind in PERMANENT_KINDS
            self.journal.log(
                ERR if permanent else WARNING,
                "takeover attempt failed",
                attempt=run["attempts"],
                kind=error.kind,
                code=error.code or "-",
                ms=self.elapsed_ms(attempt_started),
                error=str(error),
            )
            if permanent:
                failure = error
                break
            if error.kind == "unreachable":
                self.renew_connection()
            # Attempts start at most once per backoff interval: a connect timeout is its own wait.
            bound = min(self.settings["backoff_cap"], self.settings["backoff_base"] * (2 ** min(run["attempts"], 10)))
            delay = max(0.0, _RANDOM.uniform(0.5, 1.0) * bound - (self.clock() - attempt_started))
            elapsed = self.clock() - started
            if not persist and elapsed + delay >= timeout:
                failure = floating_ip.FloatingIpError(
                    "takeover did not complete within takeover_timeout (%gs) after %d attempts; last error: %s"
                    % (timeout, run["attempts"], error),
                    "timeout",
                )
                break
            if persist and not late and elapsed >= timeout:
                late = True
                self.journal.log(
                    CRIT,
                    "TAKEOVER FAILED within takeover_timeout: this node is MASTER but does not hold the floating "
                    "address; still retrying",
                    reason=reason,
                    target=self.target(),
                    attempts=run["attempts"],
                    ms=self.elapsed_ms(started),
                    error=str(error),
                )
            self._write_status(
                self._takeover_status(
                    "retrying", run, started, last_error=error.to_dict(), next_attempt_ms=round(delay * 1000)
                )
            )
            try:
                self._pause(delay)
            except _Interrupted as exc:
                interrupted = str(exc)
                break
        if result is not None:
            self.holding = True
            status = self._takeover_status("ok", run, started, holds_address=True, verified=True)
            if self.settings["mode"] == "secondary_ip":
                status["holders"] = result["holders"]
            else:
                status["changed"] = result["changed"]
                status["previous"] = result.get("previous")
            self.journal.log(
                NOTICE,
                "takeover verified",
                reason=reason,
                target=self.target(),
                attempts=run["attempts"],
                calls=len(run["calls"]),
                ms=status["duration_ms"],
            )
        elif interrupted is not None:
            status = self._takeover_status("interrupted", run, started, note=interrupted)
            if run["errors"]:
                status["last_error"] = run["errors"][-1]
            self.journal.log(
                NOTICE,
                "takeover stopped before it was verified",
                why=interrupted,
                reason=reason,
                attempts=run["attempts"],
                ms=status["duration_ms"],
            )
        else:
            status = self._takeover_status("failed", run, started, error=failure.to_dict())
            self.journal.log(
                CRIT,
                "TAKEOVER FAILED: this node is MASTER but does not hold the floating address",
                reason=reason,
                target=self.target(),
                kind=failure.kind,
                attempts=run["attempts"],
                ms=status["duration_ms"],
                error=str(failure),
            )
        self.last = status
        self._write_status(status)
        return status

    def _attempt(self, run, deadline):
        """One takeover attempt under the lock file; the API calls it sent are added to ``run``."""
        lock_started = self.clock()
        lock = self._lock()
        run["lock_wait_ms"] += self.elapsed_ms(lock_started)
        attempt_started = self.clock()
        api = None
        try:
            self._credentials_for_takeover()
            api = self._api(deadline)
            result = self._ensure(api, max(deadline - self.clock(), 0.1))
            self.journal.log(
                INFO,
                "takeover step",
                attempt=run["attempts"],
                calls=" ".join(api.calls),
                ms=self.elapsed_ms(attempt_started),
            )
            return result
        finally:
            if api is not None:
                run["calls"].extend(api.calls)
            self._unlock(lock)

    def _credentials_for_takeover(self):
        """Renew the credentials when due; keep using the current ones while they are valid and IMDS is not."""
        try:
            self.refresh_client()
        except AgentError as exc:
            if self.client is None or (self.credentials_expire is not None and self.wall() >= self.credentials_expire):
                raise floating_ip.FloatingIpError(str(exc), "unreachable") from None
            self.journal.log(WARNING, "cannot renew credentials yet; the current ones are still valid", error=exc)

    def _status_base(self, result, holds_address=False):
        """The fields of every status file: the result, keepalived's state and whether the address is ours."""
        return {
            "result": result,
            "state": self.state,
            "holds_address": bool(holds_address),
            "vrrp_instance": self.settings["vrrp_instance"],
            "mode": self.settings["mode"],
            "target": self.target(),
            "instance_id": self.identity["instance_id"] if self.identity else None,
            "network_interface_id": self.interface["interface_id"] if self.interface else None,
            "updated": self.wall(),
        }

    def _takeover_status(self, result, run, started, holds_address=False, verified=False, **extra):
        status = self._status_base(result, holds_address)
        status.update(
            reason=run["reason"],
            started=run["started"],
            duration_ms=self.elapsed_ms(started),
            lock_wait_ms=run["lock_wait_ms"],
            attempts=run["attempts"],
            api_calls=run["calls"][-self.CALLS_KEPT :],
            api_call_count=len(run["calls"]),
            errors=list(run["errors"]),
            verified=verified,
        )
        status.update(extra)
        return status

    def _ensure(self, api, wait_timeout):
        own_eni = self.interface["interface_id"]
        if self.settings["mode"] == "secondary_ip":
            # Validated once in prepare(); now only the move and its proof (two calls when EC2 is quick).
            return floating_ip.take_secondary_ip(
                api, self.settings["address"], own_eni, self.interface["vpc_id"], wait_timeout=wait_timeout
            )
        return floating_ip.ensure_eip(
            api,
            allocation_id=self.settings["allocation_id"],
            eni_id=own_eni,
            private_ip=self.settings["private_ip"],
            state="present",
            allow_reassociation=True,
            wait=True,
            wait_timeout=wait_timeout,
        )

    def _api(self, deadline):
        """The library's call wrapper on the current client, its backoff sleeps bounded by ``deadline``."""
        return floating_ip.Ec2Api(
            self.client,
            max_retries=self.settings["max_retries"],
            backoff_base=self.settings["backoff_base"],
            backoff_cap=self.settings["backoff_cap"],
            sleep=self._bounded_sleep(deadline),
            clock=self.clock,
        )

    def _bounded_sleep(self, deadline):
        def sleep(seconds):
            if self.clock() + seconds >= deadline:
                raise _DeadlinePassed()
            self._pause(seconds)

        return sleep

    def _pause(self, seconds):
        """Sleep ``seconds`` within a takeover; while serving, read keepalived's FIFO meanwhile.

        Raises ``_Interrupted`` as soon as a line about our instance arrives (it is queued for :meth:`run`)
        or the service is asked to stop: a takeover never goes on past a state change it could see.
        """
        if self._fifo is None:
            self.sleep(seconds)
            return
        end = time.monotonic() + seconds
        while True:
            if self._stop is not None and self._stop():
                raise _Interrupted("the agent is stopping")
            self._poll_fifo(max(0.0, end - time.monotonic()))  # one look at least, also for a pause of 0
            if self._our_line_queued():
                raise _Interrupted("keepalived reported a new state")
            if time.monotonic() >= end:
                return

    def _our_line_queued(self):
        ours = ("INSTANCE", self.settings["vrrp_instance"])
        return any((parse_event(line) or (None, None))[:2] == ours for line in self._lines)

    def _lock(self):
        path = self.settings["lock_file"]
        handle = open(path, "a")  # noqa: SIM115 -- held until _unlock
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return handle

    @staticmethod
    def _unlock(handle):
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    def _write_status(self, status):
        try:
            write_status(self.settings["status_file"], status)
        except OSError as exc:
            self.journal.log(ERR, "cannot write the status file", path=self.settings["status_file"], error=exc)

    # -- the cheap check while MASTER ------------------------------------------------------------

    def holds(self):
        """Whether instance metadata shows the floating address as this node's (no EC2 API call)."""
        base = "meta-data/network/interfaces/macs/%s/" % self.interface["mac"]
        if self.settings["mode"] == "secondary_ip":
            body = self.imds.get(base + "local-ipv4s") or ""
            return self.settings["address"] in body.split()
        associations = {}
        for public_ip in self.imds.get_listing(base + "ipv4-associations/") or []:
            associations[public_ip] = (self.imds.get(base + "ipv4-associations/" + public_ip) or "").strip()
        return associations.get(self.public_ip) == self.settings["private_ip"]

    def reconcile(self):
        """While MASTER: take the address back if instance metadata says another node has it.

        Two masters at once (VRRP cut between the nodes) must not bounce the address every check: the
        higher-priority node (``reclaim_grace`` 0) takes it back at once -- it is the one VRRP keeps as
        master when the link heals -- and the other only after the address has been away for
        ``reclaim_grace`` seconds, doubled after each such reclaim until keepalived reports a new state.
        That still repairs the rare case where the peer took the address and then died.
        """
        if self.state not in TAKE_STATES:
            self.absent_since = None
            return None
        if self.last is not None and self.last["result"] == "failed":
            return self.takeover("retry after failure")
        try:
            holding = self.holds()
        except imds.ImdsError as exc:
            self.journal.log(WARNING, "cannot check the floating address in instance metadata", error=exc)
            return None
        if holding:
            self.absent_since = None
            if not self.holding and self.last is not None and self.last["result"] == "ok":
                self.holding = True  # seen back (instance metadata lagged, or the peer let go)
                self._write_status(dict(self.last, holds_address=True, updated=self.wall()))
            return None
        now = self.clock()
        if self.absent_since is None:
            self.absent_since = now
        grace = min(60.0, self.settings["reclaim_grace"] * (2**self.reclaims))
        if self.holding:
            self.holding = False
            status = self._status_base("pending")
            status.update(reason="instance metadata shows the address away", grace_s=grace)
            self._write_status(status)
        if now - self.absent_since < grace:
            self.journal.log(INFO, "MASTER without the floating address: waiting before taking it back", grace_s=grace)
            return None
        self.journal.log(WARNING, "MASTER without the floating address: taking it back", target=self.target())
        self.absent_since = None
        if self.settings["reclaim_grace"] > 0:
            self.reclaims += 1
        return self.takeover("reconcile")

    def notice_missed_master(self):
        """Not MASTER by our count, yet keepalived has put the floating address on this node: ask keepalived.

        keepalived adds the address when it becomes MASTER and writes the change to the notify FIFO. Should
        that line not arrive (once, in CI, a standby held the address while its agent still said BACKUP), the
        address would stay on the peer's ENI while this node answers for it; this check (one read of
        /proc/net/fib_trie) turns such a miss into a takeover within a check interval.
        Same-AZ pairs only: in the Elastic IP mode there is no local floating address to see.
        """
        if self.settings["mode"] != "secondary_ip" or self.state in TAKE_STATES:
            return None
        if not self.address_is_local(self.settings["address"]):
            return None
        self.journal.log(
            WARNING,
            "keepalived holds the floating address but no MASTER notification arrived: asking keepalived",
            state=self.state or "-",
            target=self.target(),
        )
        return self.sync_state()

    # -- keepalived events ------------------------------------------------------------------------

    def handle(self, line):
        """Act on one line keepalived wrote to the notify FIFO; return the takeover status, if one ran."""
        event = parse_event(line)
        if event is None:
            if line.strip():
                self.journal.log(DEBUG, "ignored notify line", line=line.strip())
            return None
        kind, name, state, priority = event
        if kind != "INSTANCE" or name != self.settings["vrrp_instance"]:
            return None
        previous, self.state = self.state, ("MASTER" if state == "MASTER_RX_LOWER_PRI" else state)
        self.absent_since, self.reclaims = None, 0
        self.journal.log(
            NOTICE, "vrrp state", instance=name, state=state, previous=previous or "-", vrrp_priority=priority
        )
        if state in TAKE_STATES:
            # takeover() writes the new state (pending) before its first attempt
            return self.takeover("lower-priority master heard" if state == "MASTER_RX_LOWER_PRI" else "became MASTER")
        self.holding = False
        status = self._status_base("ok")
        status["note"] = "not MASTER: nothing to take (the master takes the address)"
        if self.last is not None:
            status["last_takeover"] = dict(
                (key, self.last.get(key)) for key in ("result", "reason", "started", "duration_ms", "attempts")
            )
        self._write_status(status)
        return None

    def run(self, stop=None):
        """Serve keepalived's FIFO until ``stop()`` is true (forever by default).

        keepalived deletes and recreates its notify FIFO when it reloads, so the agent reopens the path
        whenever it names another file than the one it reads (a tenth of a second at most; what keepalived
        writes meanwhile waits in the new FIFO). Takeovers persist while serving, and read the FIFO while
        they wait (see :meth:`takeover`).
        """
        self._fifo, self._fifo_inode = self._open_fifo()
        self._fifo_pending, self._lines = b"", []
        self.serving, self._stop = True, stop
        try:
            if self.state is None:
                status = self._status_base("pending")
                status["note"] = "agent started: keepalived's state not known yet"
                self._write_status(status)  # never a previous process's state
                self.sync_state()
            next_check = self.clock() + self.settings["check_interval"]
            while not (stop and stop()):
                if self._lines:
                    lines, self._lines = self._lines, []
                    for line in coalesce(lines, self.settings):
                        self.handle(line)
                    continue
                if self._poll_fifo(min(0.1, self.settings["check_interval"])):
                    continue
                if self.clock() >= next_check:
                    next_check = self.clock() + self.settings["check_interval"]
                    self.notice_missed_master()
                    self.reconcile()
                    try:
                        self.refresh_client()
                    except AgentError as exc:
                        self.journal.log(ERR, "cannot renew credentials", error=exc)
        finally:
            self.serving, self._stop = False, None
            os.close(self._fifo)
            self._fifo = None

    def _poll_fifo(self, timeout):
        """Wait up to ``timeout`` seconds for lines from keepalived and queue them; True if any arrived.

        Reopens the FIFO when keepalived has replaced it (a reload).
        """
        end = time.monotonic() + timeout
        while True:
            step = max(0.0, min(0.1, end - time.monotonic()))
            ready, _unused, _unused = select.select([self._fifo], [], [], step)
            if ready:
                self._fifo_pending += os.read(self._fifo, 65536)
                lines = self._fifo_pending.split(b"\n")
                self._fifo_pending = lines.pop()
                if lines:
                    self._lines.extend(raw.decode("utf-8", "replace") for raw in lines)
                    return True
            elif _inode(self.settings["fifo"]) != self._fifo_inode:
                os.close(self._fifo)
                self._fifo, self._fifo_inode = self._open_fifo()
                self._fifo_pending = b""
                self.journal.log(
                    INFO, "notify FIFO replaced (keepalived reloaded): reopened", path=self.settings["fifo"]
                )
            if time.monotonic() >= end:
                return False

    def sync_state(self):
        """Learn keepalived's current state of our instance (a restarted agent has missed the transition).

        keepalived writes states to the FIFO only when they change; SIGUSR1 makes it dump its state to
        ``keepalived_data_file``, which is read here and handled like a FIFO line.
        """
        try:
            state = read_keepalived_state(
                self.settings["vrrp_instance"],
                self.settings["keepalived_pid_file"],
                self.settings["keepalived_data_file"],
                self.clock,
                self.sleep,
            )
        except (OSError, ValueError) as exc:
            self.journal.log(INFO, "keepalived state not known yet (it reports its next change)", error=exc)
            return None
        if state is None:
            return None
        self.journal.log(INFO, "keepalived state at start", instance=self.settings["vrrp_instance"], state=state)
        return self.handle('INSTANCE "%s" %s -' % (self.settings["vrrp_instance"], state))

    def _open_fifo(self):
        fd = open_fifo(self.settings["fifo"])
        return fd, os.fstat(fd).st_ino


def is_local_address(address, fib_trie="/proc/net/fib_trie"):
    """Whether ``address`` is assigned to an interface of this host: the kernel's routing table lists
    it as a ``/32 host LOCAL`` entry. (A test bind would not do: ``ip_nonlocal_bind`` lets any address bind.)"""
    try:
        with open(fib_trie, encoding="ascii", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return False
    for index, line in enumerate(lines[:-1]):
        if line.strip() == "|-- " + address and lines[index + 1].strip() == "/32 host LOCAL":
            return True
    return False


def _inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def read_keepalived_state(instance, pid_file, data_file, clock=time.monotonic, sleep=time.sleep, timeout=2.0):
    """The ``State`` of vrrp_instance ``instance`` from keepalived's SIGUSR1 data dump, or None."""
    with open(pid_file, encoding="utf-8") as handle:
        pid = int(handle.read().strip())
    try:
        before = os.stat(data_file).st_mtime_ns
    except OSError:
        before = None
    os.kill(pid, signal.SIGUSR1)
    deadline = clock() + timeout
    while True:
        try:
            info = os.stat(data_file)
            if info.st_mtime_ns != before and info.st_size > 0:
                break
        except OSError:
            pass
        if clock() >= deadline:
            raise OSError("keepalived (pid %d) did not write %s within %gs" % (pid, data_file, timeout))
        sleep(0.05)
    sleep(0.05)  # the dump is written in one go; let it finish
    info = os.lstat(data_file)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.stat(pid_file).st_uid:
        raise OSError("%s is not a regular file owned by keepalived's user: not trusted" % data_file)
    ours = False
    with open(data_file, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            key, _unused, value = line.strip().partition(" = ")
            if key == "VRRP Instance":
                ours = value == instance
            elif ours and key == "State" and value in KNOWN_STATES:
                return value
    return None


def parse_event(line):
    """``(kind, name, state, priority)`` of a keepalived notify FIFO line, or None."""
    parts = line.strip().split()
    if len(parts) < 3 or parts[0] not in ("INSTANCE", "GROUP"):
        return None
    name = parts[1].strip('"')
    state = parts[2]
    if state not in KNOWN_STATES:
        return None
    priority = parts[3] if len(parts) > 3 else "-"
    return parts[0], name, state, priority


def coalesce(lines, settings):
    """Of several lines read at once, keep only the last state line of our instance (and others in order).

    A quick MASTER -> BACKUP -> MASTER burst needs one takeover, not three.
    """
    ours = [
        i
        for i, line in enumerate(lines)
        if (parse_event(line) or (None, None))[:2] == ("INSTANCE", settings["vrrp_instance"])
    ]
    keep = set(range(len(lines))) - set(ours[:-1])
    return [line for i, line in enumerate(lines) if i in keep]


def open_fifo(path):
    """Open (creating if need be) the FIFO keepalived writes to; read-write, so it never reads EOF."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    try:
        os.mkfifo(path, 0o600)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise
    if not stat.S_ISFIFO(os.stat(path).st_mode):
        raise AgentError("%s exists and is not a FIFO" % path)
    return os.open(path, os.O_RDWR | os.O_NONBLOCK)


# -- command line ------------------------------------------------------------------------------


def status_exit_code(status):
    """0 when the status is ``ok`` and, as MASTER, the address is verified as this node's; else 1.

    A MASTER whose takeover is pending or retrying is not healthy, whatever it did before. (Status files of
    earlier agents have no ``holds_address``: there ``verified`` says it.)
    """
    if status.get("result") not in ("ok", None):
        return 1
    if status.get("state") in TAKE_STATES and not status.get("holds_address", status.get("verified")):
        return 1
    return 0


def main(argv=None, journal=None):
    parser = argparse.ArgumentParser(prog="rtc-failover-agent", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="/etc/rtc-failover-agent/agent.json", help="the settings file (JSON)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="serve keepalived's notify FIFO (the systemd service)")
    sub.add_parser("takeover", help="take the floating address now, verified; exit 1 if that failed")
    sub.add_parser("status", help="print the status; exit 1 unless it is ok (as MASTER: the address verified ours)")
    sub.add_parser("check", help="exit 0 if instance metadata shows the address as this node's")
    args = parser.parse_args(argv)
    journal = journal or Journal()
    command = args.command or "run"
    try:
        settings = load_settings(args.config)
        if command == "status":
            try:
                with open(settings["status_file"], encoding="utf-8") as handle:
                    status = json.load(handle)
            except (OSError, ValueError) as exc:
                journal.log(ERR, "no status yet", path=settings["status_file"], error=exc)
                return 1
            sys.stdout.write(json.dumps(status, indent=2, sort_keys=True) + "\n")
            return status_exit_code(status)
        agent = Agent(settings, journal=journal)
        agent.prepare()
        if command == "check":
            return 0 if agent.holds() else 1
        if command == "takeover":
            agent.state = "MASTER"
            return 0 if agent.takeover("manual")["result"] == "ok" else 1
        agent.run()
        return 0
    except AgentError as exc:
        journal.log(CRIT, "failover agent cannot work", error=exc)
        return 2
    except KeyboardInterrupt:
        return 0
