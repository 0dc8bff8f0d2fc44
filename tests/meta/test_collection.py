"""The collection's metadata: the built artifact, the action group, the changelog."""

import ast
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "prefix",
    [
        "tests/",
        "molecule/",
        "benchmarks/",
        "lab/",
        "roles/lab/",
        "playbooks/lab.yml",
        "playbooks/lab_destroy.yml",
        "playbooks/templates/lab_report.j2",
        ".ci/",
        "inventories/lab/",
        ".venv/",
        ".pytest_cache/",
        ".ruff_cache/",
    ],
)
def test_artifact_leaves_out_development_files(artifact, prefix):
    assert not [name for name in artifact if name == prefix.rstrip("/") or name.startswith(prefix)]


@pytest.mark.parametrize(
    "member",
    [
        "MANIFEST.json",
        "FILES.json",
        "meta/runtime.yml",
        "playbooks/site.yml",
        "plugins/modules/instance_metadata.py",
        "plugins/module_utils/imds.py",
        "inventories/aws/aws_ec2.yml",
        "README.md",
    ],
)
def test_artifact_ships_the_collection(artifact, member):
    assert member in artifact


def uses_aws_module_base(path):
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.Name) and node.id == "AnsibleAWSModule" for node in ast.walk(tree))


def test_every_aws_module_is_in_the_aws_action_group():
    runtime = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
    group = runtime["action_groups"]["aws"]
    listed = {entry for entry in group if isinstance(entry, str)}
    aws_modules = {p.stem for p in (ROOT / "plugins/modules").glob("*.py") if uses_aws_module_base(p)}
    assert aws_modules <= listed, f"add {sorted(aws_modules - listed)} to action_groups.aws in meta/runtime.yml"
    assert listed <= {p.stem for p in (ROOT / "plugins/modules").glob("*.py")}, "the aws group names a missing module"
    assert {"extend_group": ["amazon.aws.aws"]} in [e["metadata"] for e in group if isinstance(e, dict)]


def test_requires_ansible_matches_what_ci_installs():
    """meta/runtime.yml claims the ansible-core releases CI tests: the lower bound of both agree."""
    runtime = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
    claimed = re.fullmatch(r">=(\d+\.\d+)(?:\.0)?", runtime["requires_ansible"])
    pinned = re.search(r"^ansible-core>=(\d+\.\d+),<(\d+\.\d+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert claimed and pinned, "requires_ansible and the ansible-core pin must be simple lower bounds"
    assert claimed.group(1) == pinned.group(1)


def test_galaxy_dependencies_match_requirements_yml():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    requirements = yaml.safe_load((ROOT / "requirements.yml").read_text())
    assert {c["name"]: c["version"] for c in requirements["collections"]} == galaxy["dependencies"]
