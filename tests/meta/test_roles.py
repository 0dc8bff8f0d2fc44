"""Every role keeps meta/argument_specs.yml in step with defaults/main.yml and has a README."""

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir() and not p.name.startswith("_"))


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
