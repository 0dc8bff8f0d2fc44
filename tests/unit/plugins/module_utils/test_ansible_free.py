"""The module_utils libraries that node-side agents and Lambdas run import without Ansible.

Each is imported in a fresh interpreter in which every ``ansible`` import is refused: the IMDSv2 client
and the AWS libraries by file path (as the failover agent loads them), the Chime files as a package of
their own (they import each other relatively). All of them must parse as Python 3.8.
"""

import ast
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LIBRARY_DIR = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
BLOCKER = textwrap.dedent(
    """
    import importlib, importlib.abc, importlib.util, sys

    class NoAnsible(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("ansible", "ansible_collections"):
                raise ImportError("ansible is blocked: " + name)
            return None

    sys.meta_path.insert(0, NoAnsible())
    """
)
BY_PATH = BLOCKER + textwrap.dedent(
    """
    spec = importlib.util.spec_from_file_location(sys.argv[2], sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not [m for m in sys.modules if m.split(".")[0] in ("ansible", "ansible_collections")]
    print(sorted(n for n in sys.argv[3:] if hasattr(module, n)))
    """
)
AS_PACKAGE = BLOCKER + textwrap.dedent(
    """
    sys.path.insert(0, sys.argv[1])
    module = importlib.import_module("agent." + sys.argv[2])
    assert not [m for m in sys.modules if m.split(".")[0] in ("ansible", "ansible_collections")]
    print(sorted(n for n in sys.argv[3:] if hasattr(module, n)))
    """
)
BY_FILE = {
    "imds.py": ["ImdsClient", "ImdsError", "gather_instance_identity"],
    "aws_api.py": ["AwsApi", "AwsApiError", "HAS_BOTOCORE", "wait_for"],
    "floating_ip.py": ["FloatingIpError", "ensure_eip", "ensure_secondary_ips", "find_eni"],
    "floating_ip_agent.py": ["Agent", "AgentError", "check_settings", "main"],
    "route53_srv.py": ["Route53SrvError", "build_change_batch", "ensure_srv"],
}
CHIME = {"chime_voice_connector.py": ["describe_voice_connectors", "ensure_voice_connector"]}
AGENT_FILES = [*BY_FILE, *sorted(p.name for p in LIBRARY_DIR.glob("chime_voice_connector*.py"))]


def run(code, *args):
    return subprocess.run(
        [sys.executable, "-I", "-c", code, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(("name", "expected"), BY_FILE.items(), ids=list(BY_FILE))
def test_loads_by_path_without_ansible(name, expected):
    done = run(BY_PATH, LIBRARY_DIR / name, name[:-3], *expected)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(sorted(expected))


@pytest.mark.parametrize(("name", "expected"), CHIME.items(), ids=list(CHIME))
def test_loads_as_a_package_without_ansible(tmp_path, name, expected):
    package = tmp_path / "agent"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for library in LIBRARY_DIR.glob("*.py"):  # every file it may import relatively
        shutil.copy(library, package / library.name)
    done = run(AS_PACKAGE, tmp_path, name[:-3], *expected)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(sorted(expected))


def test_the_blocker_really_blocks():
    done = run(BLOCKER + "import ansible.module_utils.basic\n")
    assert done.returncode != 0
    assert "ansible is blocked" in done.stderr


@pytest.mark.parametrize("name", AGENT_FILES)
def test_parses_as_python_38(name):
    ast.parse((LIBRARY_DIR / name).read_text(encoding="utf-8"), feature_version=(3, 8))


def test_every_chime_library_file_is_checked():
    assert len([n for n in AGENT_FILES if n.startswith("chime_voice_connector")]) == 5
