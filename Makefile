# tgops: operations of small Docker Compose v2 stacks with Ansible.
# `make setup` then `make test` on a fresh Debian/Ubuntu machine with Docker.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3.11
VENV        ?= .venv
BIN         := $(VENV)/bin
COLLECTION  := collections/ansible_collections/tgops/stack
export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)
export TGOPS_SANDBOX_ROOT ?= $(abspath .sandbox)
# Execution environment (make ee): Debian suite of its base (bookworm: Python 3.11,
# the minimum for ansible-core 2.19; trixie: 3.13), the base and the EE image names.
export EE_SUITE      ?= bookworm
export EE_BASE_IMAGE ?= tgops-sandbox/ee-base:$(EE_SUITE)
export EE_IMAGE      ?= tgops-ee/ee:latest
# Strategy of every playbook the tests and the bench start: linear (Ansible's own) or mitogen_linear
# (make test STRATEGY=mitogen_linear; what it changes: docs/performance.md, "Mitogen").
STRATEGY ?= linear
ifeq ($(STRATEGY),mitogen_linear)
export ANSIBLE_STRATEGY = mitogen_linear
export ANSIBLE_STRATEGY_PLUGINS = $(wildcard $(abspath $(VENV))/lib/python3*/site-packages/ansible_mitogen/plugins/strategy)
endif

.PHONY: help setup venv images ee test checks unit sanity lint ruff integration integration-sandbox integration-offline molecule demo collection changelog \
        sandbox-up sandbox-down bench bench-smoke clean docs

help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: venv images ee ## Create the venv, install pinned deps, build the sandbox images and the EE.

venv: $(BIN)/.installed
$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -r requirements-dev.txt
	mkdir -p $(HOME)/.ansible/test/cache
	cp scripts/get_pip_offline.py $(HOME)/.ansible/test/cache/get_pip_24_2.py
	touch $@

images: ## Build the sandbox images (mmdebstrap base + app images, no registry).
	sandbox/bin/build-images.sh

ee: venv ## Build the execution environment with ansible-builder FROM a local mmdebstrap base (no registry; cached by content hash).
	ee/build.sh

# Two lanes at once: the sandbox tests are serial (fixed Compose projects and ports)
# and mostly wait on one Ansible process, so the checks that need no sandbox
# (unit, ruff, sanity, lint, the offline integration tests) run beside them.
# The bench smoke (make bench-smoke, ~8 min) is not part of it: CI's time budget
# goes to the tests; run it after changing bench/.
test: venv images ee ## The whole suite: unit, ruff, sanity, lint, integration (two lanes).
	$(MAKE) --no-print-directory -j2 --output-sync=target checks integration-sandbox

checks: venv ## Everything that needs no sandbox: unit, ruff, sanity, lint, offline integration tests.
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory ruff
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory integration-offline

unit: venv ## Unit tests of module_utils (ansible-test units layout).
	cd $(COLLECTION) && ansible-test units --venv --python 3.11 --requirements

ruff: venv ## Ruff on every Python file.
	$(BIN)/ruff check .

sanity: venv ## ansible-test sanity on the collection.
	cd $(COLLECTION) && ansible-test sanity --venv --python 3.11 --requirements

lint: venv ## ansible-lint, production profile.
	$(BIN)/ansible-lint --profile production

integration: venv images ee ## Integration tests against the real sandbox (Docker, Postgres, S3, Bot API).
	$(BIN)/pytest -p no:cacheprovider --durations=25 tests/integration

integration-sandbox: venv images ee ## The integration tests that use the shared sandbox (one at a time).
	$(BIN)/pytest -p no:cacheprovider --durations=40 -m sandbox tests/integration

integration-offline: venv ## The integration tests that need no sandbox (real Docker, sshd, fake AWX, built tarballs).
	$(BIN)/pytest -p no:cacheprovider -m "not sandbox" tests/integration

molecule: venv images ## Molecule scenario on the sandbox (converge, idempotence, testinfra verify).
	sandbox/bin/up.sh all
	$(BIN)/molecule test -s default

demo: venv images ## The main jobs on the sandbox "todo" stack (info, backup, deploy v1->v2, daily check, diagnose) and the journal.
	scripts/demo.sh

bench: venv images ## Bench suite (target: under 20 min): every operation vs its baseline -> bench/results.{md,json}.
	$(BIN)/python bench/run.py
	-sandbox/bin/down.sh all

bench-smoke: venv images ## The bench suite on tiny data, one repetition (checks it runs, not the figures).
	$(BIN)/python bench/run.py --smoke --out tests/output/bench-smoke
	-sandbox/bin/down.sh all

collection: venv ## Build the collection tarball (tgops-stack-<version>.tar.gz) into dist/.
	$(BIN)/ansible-galaxy collection build $(COLLECTION) --output-path dist --force

changelog: venv ## Render the collection's CHANGELOG.rst from its changelog fragments (antsibull-changelog).
	cd $(COLLECTION) && ../../../../$(BIN)/antsibull-changelog generate

docs: venv ## Write the stack contract (meta/stack_contract.yml) into the roles' argument specs, then regenerate docs/reference/roles.md from them.
	$(BIN)/python scripts/stack-contract.py
	$(BIN)/python scripts/gen-role-docs.py

sandbox-up: venv images ## Start the sandbox stacks, the fake Bot API and the local S3 server.
	sandbox/bin/up.sh all
	sandbox/bin/s3-server.sh start
	AWS_ACCESS_KEY_ID=sandbox-access AWS_SECRET_ACCESS_KEY=sandbox-secret AWS_DEFAULT_REGION=us-east-1 \
	  $(BIN)/aws --endpoint-url http://127.0.0.1:9000 s3 mb s3://tgops-backups >/dev/null 2>&1 || true

sandbox-down: ## Stop and remove the sandbox stacks and their volumes.
	-sandbox/bin/s3-server.sh stop
	sandbox/bin/down.sh all

clean: sandbox-down ## Remove the sandbox and test output.
	rm -rf $(COLLECTION)/tests/output tests/output
