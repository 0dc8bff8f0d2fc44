# rtc.ec2_fleet — every entry point a user or CI needs. Run as root on Debian 12.
#   make lab           bring up the lab and run playbooks/site.yml on it
#   make test          lint + sanity + units + integration + molecule
#   make help          everything else
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rtc-installed

# Never let boto3 look for real credentials or probe a metadata service (docs/lab.md).
export AWS_EC2_METADATA_DISABLED := true
export AWS_ACCESS_KEY_ID := testing
export AWS_SECRET_ACCESS_KEY := testing
export AWS_DEFAULT_REGION := us-east-1
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup host venv links lint sanity units integration molecule molecule-asterisk-source test lab lab-destroy bench build changelog clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: host venv links ## install what the lab and the tests need (idempotent)

host: ## host packages (podman, debootstrap, ...) and podman settings for this kernel
	@lab/bin/setup-host

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@[ -x $(BIN)/python ] || { $(PYTHON) -m venv $(VENV) || { lab/bin/setup-host && $(PYTHON) -m venv $(VENV); }; }
	@echo "venv: installing requirements-dev.txt into .venv (a few minutes on a new machine)"
	$(BIN)/python -m pip install -q --upgrade 'pip>=24,<26' 2> >(grep -v 'is ignored' >&2)
	$(BIN)/python -m pip install --progress-bar off -r requirements-dev.txt 2> >(grep -v 'is ignored' >&2) \
	  | { grep --line-buffered -E '^(Collecting|Successfully installed)' | sed -u -E 's/^(Collecting [^ ]+) .*/\1/; s/^/  /' || true; }
	touch $@

# Made on every run, not once with the venv: they live outside it (.cache, ~/.ansible), so a venv that
# outlived them (a removed .cache, a new home) must not leave the lab or sanity without them.
links: $(STAMP)
	@mkdir -p .cache/collections/ansible_collections/rtc
	@ln -sfn $(CURDIR) .cache/collections/ansible_collections/rtc/ec2_fleet
	@lab/bin/ansible-test-bootstrap $(BIN)/python >/dev/null

lint: setup ## yamllint, ansible-lint (production profile), ruff, changelog fragments
	yamllint --strict .
	ansible-lint --strict
	ruff check .
	ruff format --check .
	antsibull-changelog lint

sanity: setup ## ansible-test sanity on the collection laid out under ansible_collections/rtc/ec2_fleet
	cd "$$(lab/bin/collection-tree)" && ansible-test sanity --venv --python 3.11 --color no

units: setup ## unit tests of plugins and of the lab stand-ins; repository consistency checks
	$(BIN)/python -m pytest -n 2 tests/unit tests/lab tests/meta

integration: setup ## modules and action groups against a local AWS endpoint
	tests/integration/run

molecule: setup ## every molecule scenario, two at a time in their own lab slots (lab/bin/molecule-all)
	lab/bin/molecule-all

molecule-asterisk-source: setup ## asterisk scenario with Asterisk 22.10.1 built from source (Debian's copy of the pinned release; ~13-18 min; not in CI)
	lab/bin/asterisk-source-tarballs molecule test -s asterisk

test: setup ## everything CI runs: lint, sanity, units, integration, molecule; a time table at the end
	@lab/bin/make-test lint sanity units integration molecule
	@echo "make test: lint, sanity, units, integration and molecule passed"

lab: setup ## bring up the lab and run playbooks/site.yml on it (idempotent)
	ansible-playbook -i inventories/lab/hosts.yml playbooks/lab.yml

lab-destroy: setup ## remove everything `make lab` created
	ansible-playbook -i inventories/lab/hosts.yml playbooks/lab_destroy.yml

bench: setup ## every benchmark; results in benchmarks/results/*.json, tables in docs/benchmarks.md
	$(BIN)/python -m benchmarks run --all

bench-%: setup
	$(BIN)/python -m benchmarks run $*

build: venv links ## the collection artifact (without tests, molecule, benchmarks, lab)
	ansible-galaxy collection build --force .

changelog: setup ## lint changelog fragments
	antsibull-changelog lint

clean: ## remove caches, the venv and build artifacts (not the lab: use lab-destroy)
	rm -rf .cache .venv tests/output rtc-ec2_fleet-*.tar.gz
