"""Every role keeps meta/argument_specs.yml in step with defaults/main.yml and has a README."""

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# A role with tasks/main.yml is one a play runs; one without is an internal helper (roles/common), whose
# entry points other roles import with tasks_from.
ALL_ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())
ROLES = [p for p in ALL_ROLES if (p / "tasks" / "main.yml").exists()]
HELPERS = [p for p in ALL_ROLES if not (p / "tasks" / "main.yml").exists()]


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def test_there_are_roles_to_check():
    assert ROLES, "no roles found: the glob is wrong"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role):
    defaults = set(load(role / "defaults" / "main.yml"))
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    options = specs["main"]["options"]
    documented = set(options)
    required = {name for name, option in options.items() if option.get("required")}
    assert defaults - documented == set(), "defaults without an argument spec"
    assert documented - defaults - required == set(), "optional argument specs without a default"
    assert defaults & required == set(), "required options must not have a default"
    public = {name for name in defaults if name.startswith(f"{role.name}_")}
    assert public == defaults, f"public variables must be named {role.name}_*"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_private_variables_are_prefixed(role):
    private = load(role / "vars" / "main.yml") if (role / "vars" / "main.yml").exists() else {}
    assert all(name.startswith(f"__{role.name}_") for name in private), sorted(private)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_has_a_readme(role):
    readme = role / "README.md"
    assert readme.exists() and len(readme.read_text().split()) > 50


def test_there_is_the_internal_helper_role():
    assert [p.name for p in HELPERS] == ["common"]


@pytest.mark.parametrize("role", HELPERS, ids=lambda p: p.name)
def test_helper_entry_points_refuse_to_run_on_their_own(role):
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    entry_points = {p.stem for p in (role / "tasks").glob("*.yml")}
    assert set(specs) == entry_points, "every entry point documented, and only those"
    for name in entry_points:
        first = load(role / "tasks" / f"{name}.yml")[0]
        assert first["ansible.builtin.assert"]["that"] == "ansible_parent_role_names | default([]) | length > 0"
    assert len((role / "README.md").read_text().split()) > 50
