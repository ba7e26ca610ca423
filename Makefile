# One command per task. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint checkov unit integration e2e bench deploy clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install  ## the whole stack on the embedded emulator, with sample traffic
	$(BIN)/kanal local --demo

test: install lint checkov  ## lint and the template's security scan, then every test (unit, integration, e2e)
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/mypy

# checkov in a virtualenv of its own (its pins clash with the dev extras'): every finding on template.yaml
# is fixed or skipped on its resource with the reason (`# checkov:skip=CKV_...:why`); it exits 1 otherwise.
CHECKOV_VENV ?= .venv-checkov

checkov: $(CHECKOV_VENV)/.installed  ## the template's security scan
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --compact --quiet

$(CHECKOV_VENV)/.installed: infra/tools/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r infra/tools/requirements-checkov.txt
	touch $@

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

e2e: install
	$(BIN)/pytest tests/e2e

# The waiting-capacity part of bench_routing.py takes 8 minutes at its own defaults; `make bench` bounds it
# so the whole run stays under 10 minutes (ROUTING_BENCH_ARGS= runs it in full).
ROUTING_BENCH_ARGS ?= --levels 250 --step-seconds 90 --capacity-seconds 100

bench: install  ## benchmarks print their figures and write them to benchmarks/results/
	$(BIN)/python benchmarks/bench_priority.py
	$(BIN)/python benchmarks/bench_intake.py
	$(BIN)/python benchmarks/bench_routing.py $(ROUTING_BENCH_ARGS)
	$(BIN)/python benchmarks/bench_cost.py
	$(BIN)/python benchmarks/bench_growth.py
	$(BIN)/python benchmarks/bench_ack.py
	$(BIN)/python benchmarks/bench_burst.py
	$(BIN)/python benchmarks/bench_coldstart.py
	$(BIN)/python benchmarks/summary.py

STACK ?= kanal
# A hash of the code behind the live aliases (functions and both layers): a change to a layer alone must
# publish new versions too, which SAM's own hash (the function's code only) would not (docs/decisions.md).
CODE_VERSION = $(shell find functions layers -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-10)

deploy: install  ## into your AWS account (default region eu-central-1, see samconfig.toml), then the console
	sam build && sam deploy --guided --parameter-overrides CodeVersion=$(CODE_VERSION)
	$(BIN)/kanal console publish --stack $(STACK)

# `sam build` calls this for the agent API: Chalice's app.py alone (the domain comes from the layer).
build-ApiFunction:
	cp app.py $(ARTIFACTS_DIR)/

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache .mypy_cache .aws-sam
