# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How the collection's AWS modules end a run: the module-side twin of ``aws_api``.

The libraries raise an error with ``to_dict()`` and return a result holding ``before`` and
``after``; every module turns those into ``fail_json``/``exit_json`` the same way, here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def fail_from(module, error, **extra):
    """Fail the run with ``error.to_dict()`` (msg, kind, and action/code when known) plus ``extra``."""
    module.fail_json(**dict(extra, **error.to_dict()))


def exit_with_diff(module, result):
    """Exit with ``result``; its ``before`` and ``after`` become ``diff``, reported only in diff mode."""
    diff = dict(before=result.pop("before"), after=result.pop("after"))
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)
