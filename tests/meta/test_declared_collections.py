"""Every collection the shipped content uses is declared, so that the installed artifact runs.

With only rtc.ec2_fleet and the collections galaxy.yml declares on the path, a role that calls a module of
an undeclared collection fails at parse time ("couldn't resolve module/action"). This reads every shipped
YAML, Jinja and Python file of the artifact and collects the collections it names: module keys, filters,
tests and lookups written as FQCNs, and Python imports from ansible_collections. A name counts as a
collection reference when that collection exists in the `ansible` package CI installs (so a host name such
as ec2.amazonaws.com is not taken for one).
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import ansible_collections
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
# The collections the `ansible` package installs into site-packages (ansible_collections is a namespace
# package: its first path may be the checkout's own .cache/collections).
INSTALLED = next(
    pathlib.Path(p)
    for p in ansible_collections.__path__
    if (pathlib.Path(p) / "amazon" / "aws" / "MANIFEST.json").is_file()
)
FQCN = re.compile(r"(?<![\w.])([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*")
PY_IMPORT = re.compile(r"ansible_collections\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)")
NOT_DEPENDENCIES = {"ansible.builtin", "rtc.ec2_fleet"}


def installed(namespace, name):
    return (INSTALLED / namespace / name / "MANIFEST.json").is_file()


def used_collections(shipped):
    used = {}
    for member in sorted(shipped):
        path = ROOT / member
        if path.suffix not in (".yml", ".yaml", ".j2", ".py") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = PY_IMPORT if path.suffix == ".py" else FQCN
        for namespace, name in pattern.findall(text):
            collection = f"{namespace}.{name}"
            if collection not in NOT_DEPENDENCIES and (installed(namespace, name) or path.suffix == ".py"):
                used.setdefault(collection, set()).add(member)
    return used


def test_the_scan_finds_what_the_roles_are_known_to_use(artifact):
    used = used_collections(artifact)
    # Known uses: a scan that found none of them would be broken, not clean.
    assert "roles/ena_tuning/tasks/configure.yml" in used.get("ansible.posix", set()), sorted(used)
    assert "roles/kamailio/tasks/database.yml" in used.get("community.postgresql", set()), sorted(used)
    assert "plugins/modules/secondary_ip.py" in used.get("amazon.aws", set()), sorted(used)


def test_every_collection_the_artifact_uses_is_declared(artifact):
    declared = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"])
    missing = {c: sorted(files)[:3] for c, files in used_collections(artifact).items() if c not in declared}
    assert not missing, f"used by shipped files but not in galaxy.yml dependencies: {missing}"


def test_every_declared_collection_is_used(artifact):
    declared = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"])
    assert declared - set(used_collections(artifact)) == set(), "declared but unused"


def test_the_lab_only_collections_are_not_shipped(artifact):
    assert "containers.podman" not in used_collections(artifact)


def test_the_installed_artifact_parses_with_only_its_declared_dependencies(tmp_path):
    """What a user gets from `ansible-galaxy collection install`: rtc.ec2_fleet and what galaxy.yml declares.

    Galaxy is unreachable here, so the declared collections are copied from the `ansible` package CI
    installs, and nothing else of that package is on the path (collections_scan_sys_path off).
    """
    path = tmp_path / "collections"
    # Not the checkout's ansible.cfg: its collections_path holds a link to this tree.
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(path),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_INVENTORY="localhost,",
    )
    build = tmp_path / "build"
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(build), str(ROOT)],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    [tarball] = build.glob("rtc-ec2_fleet-*.tar.gz")
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(path), str(tarball)],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    for collection in yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]:
        namespace, name = collection.split(".")
        shutil.copytree(INSTALLED / namespace / name, path / "ansible_collections" / namespace / name)
    playbooks = path / "ansible_collections/rtc/ec2_fleet/playbooks"
    assert (playbooks / "site.yml").is_file(), sorted(p.name for p in path.rglob("*"))[:20]
    for playbook in sorted(p.name for p in playbooks.glob("*.yml")):
        done = subprocess.run(
            [str(BIN / "ansible-playbook"), "--syntax-check", f"rtc.ec2_fleet.{playbook[:-4]}"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{playbook}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
