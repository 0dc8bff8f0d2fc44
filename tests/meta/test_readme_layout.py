"""The README's layout table names exactly the modules, module_utils, filters and roles in the tree."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def layout_row(path):
    readme = (ROOT / "README.md").read_text()
    row = re.search(rf"^\| `{re.escape(path)}` \| (.*) \|$", readme, re.M)
    assert row, f"README's layout table has no row for {path}"
    return set(re.findall(r"`([a-z0-9_]+)`", row.group(1)))


@pytest.mark.parametrize("folder", ["plugins/modules", "plugins/module_utils", "plugins/filter"])
def test_layout_lists_every_plugin(folder):
    in_tree = {p.stem for p in (ROOT / folder).glob("*.py") if p.name != "__init__.py"}
    named = layout_row(folder + "/")
    assert in_tree <= named, f"in the tree, not in the README: {sorted(in_tree - named)}"
    assert named & in_tree == named - {"chime_signalling_cidrs"}, (
        f"in the README, not in the tree: {sorted(named - in_tree)}"
    )


def test_layout_lists_every_shipped_role():
    in_tree = {p.name for p in (ROOT / "roles").iterdir() if p.is_dir() and p.name != "lab"}
    assert layout_row("roles/") == in_tree
