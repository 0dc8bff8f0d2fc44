# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's filters: layered (the roles' layered list variables) and chime_signalling_cidrs."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.rtc.ec2_fleet.plugins.filter.chime import FilterModule as ChimeFilters
from ansible_collections.rtc.ec2_fleet.plugins.filter.layered import FilterModule as LayeredFilters
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_regions import SIGNALLING_CIDRS

layered = LayeredFilters().filters()["layered"]
chime_signalling_cidrs = ChimeFilters().filters()["chime_signalling_cidrs"]

ROLE = [{"uri": "sip:a", "az": "1a"}, {"uri": "sip:b", "az": "1b"}]


def test_layers_add_in_first_appearance_order():
    group = [{"uri": "sip:c", "az": "1a"}]
    host = [{"uri": "sip:d", "az": "1b", "state": "present"}]
    assert [i["uri"] for i in layered([ROLE, group, host], "uri")] == ["sip:a", "sip:b", "sip:c", "sip:d"]


def test_a_later_layer_replaces_the_whole_item_and_state_is_dropped():
    host = [{"uri": "sip:a", "az": "1c", "state": "present"}]
    merged = layered([ROLE, [], host], "uri")
    assert merged[0] == {"uri": "sip:a", "az": "1c"}
    assert all("state" not in item for item in merged)


def test_absent_removes_and_is_reported_when_asked():
    host = [{"uri": "sip:b", "state": "absent"}]
    assert [i["uri"] for i in layered([ROLE, None, host], "uri")] == ["sip:a"]
    assert layered([ROLE, None, host], "uri", True) == ["sip:b"]


def test_present_again_after_absent_is_present():
    layers = [ROLE, [{"uri": "sip:b", "state": "absent"}], [{"uri": "sip:b", "az": "1b"}]]
    assert [i["uri"] for i in layered(layers, "uri")] == ["sip:a", "sip:b"]
    assert layered(layers, "uri", True) == []


def test_merge_changes_only_the_fields_a_later_layer_sets():
    group = [{"uri": "sip:a", "weight": 5}]
    host = [{"uri": "sip:a", "az": "1c"}]
    assert layered([ROLE, group, host], "uri", merge=True)[0] == {"uri": "sip:a", "az": "1c", "weight": 5}
    assert layered([ROLE, group, host], "uri")[0] == {"uri": "sip:a", "az": "1c"}


def test_merge_starts_afresh_after_absent():
    layers = [ROLE, [{"uri": "sip:a", "state": "absent"}], [{"uri": "sip:a", "weight": 1}]]
    assert layered(layers, "uri", merge=True)[0] == {"uri": "sip:a", "weight": 1}


@pytest.mark.parametrize(
    "item, message",
    [
        ("sip:a", "needs a 'uri' field"),
        ({"az": "1a"}, "needs a 'uri' field"),
        ({"uri": "sip:a", "state": "gone"}, "state must be present or absent"),
    ],
)
def test_bad_items_are_named(item, message):
    with pytest.raises(AnsibleFilterError, match=message):
        layered([[item]], "uri")


def test_signalling_cidrs_of_a_region():
    assert chime_signalling_cidrs("us-east-1") == list(SIGNALLING_CIDRS["us-east-1"])
    assert chime_signalling_cidrs("eu-west-1") == ["99.77.250.0/24"]


def test_unknown_region_is_an_error_not_an_empty_allow_list():
    with pytest.raises(AnsibleFilterError, match=r"not a Region with Voice Connectors.*us-east-1"):
        chime_signalling_cidrs("us-east-9")
