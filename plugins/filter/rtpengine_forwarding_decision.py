# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rtpengine role's forwarding decision (in-kernel or userspace), a pure function."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rtpengine_forwarding_decision
short_description: Decide between rtpengine's in-kernel and userspace forwarding from what was probed on the node
version_added: 0.1.0
description:
  - Pure decision used by the rtpengine role; the same probe always gives the same answer.
  - Userspace when asked, in a container (kernel modules belong to the host), when the module package cannot
    be installed, is not built for the running kernel, or does not load; kernel when the module is loaded or loads.
options:
  _input:
    description:
      - The probe, with keys C(mode) (auto, userspace or kernel), C(table), C(container) (type or empty),
        C(loaded), C(install_error), C(module_file) (empty when not built), C(kernel), C(load_rc)
        (V(-1) when no load was attempted) and C(load_error).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Decide how rtpengine forwards media
  ansible.builtin.set_fact:
    rtpengine_forwarding: "{{ probe | rtc.ec2_fleet.rtpengine_forwarding_decision }}"
"""

RETURN = r"""
_value:
  description: C(mode) (kernel or userspace), C(table) (V(-1) for userspace), C(reason) and C(requested).
  type: dict
"""

from ansible.utils.display import Display  # noqa: E402

_display = Display()


def forwarding_decision(probe):
    """Decide between in-kernel and userspace forwarding from what the role found out on the node.

    probe keys: mode (auto|userspace|kernel), table, container (type or ''), loaded (bool),
    install_error (''), module_file ('' when not built), kernel, load_rc (-1: no attempt), load_error.
    Returns {mode, table, reason, requested}. Pure: the same probe always gives the same answer.
    """
    requested = probe.get("mode", "auto")
    if requested not in ("auto", "userspace", "kernel"):
        raise ValueError("rtpengine_kernel_forwarding must be auto, userspace or kernel, not %r" % (requested,))
    table = int(probe.get("table", 0))
    container = (probe.get("container") or "").strip()
    module_file = (probe.get("module_file") or "").strip()
    load_rc = int(probe.get("load_rc", -1))

    def result(mode, reason):
        return {"mode": mode, "table": table if mode == "kernel" else -1, "reason": reason, "requested": requested}

    if requested == "userspace":
        return result("userspace", "userspace forwarding requested (rtpengine_kernel_forwarding=userspace)")
    if container:
        return result("userspace", "running in a container (%s): kernel modules belong to the host" % container)
    if probe.get("loaded"):
        return result("kernel", "kernel module loaded (/proc/rtpengine/control present)")
    if probe.get("install_error"):
        return result("userspace", "kernel module package could not be installed: %s" % probe["install_error"])
    if not module_file:
        kernel = probe.get("kernel") or "?"
        return result("userspace", "kernel module xt_RTPENGINE is not built for the running kernel %s" % kernel)
    if load_rc == -1:
        return result("kernel", "kernel module built (%s); not loaded in check mode" % module_file)
    if load_rc != 0:
        error = (probe.get("load_error") or "").strip() or "modprobe exit status %d" % load_rc
        return result("userspace", "kernel module built but does not load: %s" % error)
    return result("kernel", "kernel module loaded from %s" % module_file)


class FilterModule(object):
    def filters(self):
        return {"rtpengine_forwarding_decision": forwarding_decision}
