# Copyright: (c) 2026, rtc.ec2_fleet developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the rtpengine role: the forwarding decision and a real Ansible warning."""

from ansible.utils.display import Display

_display = Display()


def forwarding_decision(probe):
    """Decide between in-kernel and userspace forwarding from what the role found out on the node.

    probe keys: mode (auto|userspace|kernel), table, container (type or ''), loaded (bool),
    install_error (''), module_file ('' when not built), kernel, load_rc (-1: no attempt), load_error.
    Returns {mode, table, reason, requested}. Pure: the same probe always gives the same answer.
    """
    requested = probe.get("mode", "auto")
    if requested not in ("auto", "userspace", "kernel"):
        raise ValueError(f"rtpengine_kernel_forwarding must be auto, userspace or kernel, not {requested!r}")
    table = int(probe.get("table", 0))
    container = (probe.get("container") or "").strip()
    module_file = (probe.get("module_file") or "").strip()
    load_rc = int(probe.get("load_rc", -1))

    def result(mode, reason):
        return {"mode": mode, "table": table if mode == "kernel" else -1, "reason": reason, "requested": requested}

    if requested == "userspace":
        return result("userspace", "userspace forwarding requested (rtpengine_kernel_forwarding=userspace)")
    if container:
        return result("userspace", f"running in a container ({container}): kernel modules belong to the host")
    if probe.get("loaded"):
        return result("kernel", "kernel module loaded (/proc/rtpengine/control present)")
    if probe.get("install_error"):
        return result("userspace", f"kernel module package could not be installed: {probe['install_error']}")
    if not module_file:
        kernel = probe.get("kernel") or "?"
        return result("userspace", f"kernel module xt_RTPENGINE is not built for the running kernel {kernel}")
    if load_rc == -1:
        return result("kernel", f"kernel module built ({module_file}); not loaded in check mode")
    if load_rc != 0:
        error = (probe.get("load_error") or "").strip() or f"modprobe exit status {load_rc}"
        return result("userspace", f"kernel module built but does not load: {error}")
    return result("kernel", f"kernel module loaded from {module_file}")


def warn(message):
    """Print message as an Ansible [WARNING] and return it (for use in a debug task)."""
    _display.warning(str(message))
    return message


class FilterModule:
    def filters(self):
        return {"rtpengine_forwarding_decision": forwarding_decision, "rtpengine_warn": warn}
