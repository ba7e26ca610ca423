# One command per task. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint checkov unit integration e2e fuzz bench deploy clean tools validate build \
	bench-artifact lock python313
# the Makefile's own directory: `sam build` runs the layers' targets from inside layers/
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install  ## the whole stack on the embedded emulator, with sample traffic
	$(BIN)/kanal local --demo

test: install lint checkov validate build  ## lint, the template's security scan, the template and the built artifact, then every test
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

fuzz: install  ## the hostile-input property tests with 5,000 examples each (`make test` runs 200)
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest tests/unit/test_hostile_input.py -p no:cacheprovider

# The waiting-capacity part of bench_routing.py takes 8 minutes at its own defaults; `make bench` bounds it
# so the whole run stays under 10 minutes (ROUTING_BENCH_ARGS= runs it in full).
ROUTING_BENCH_ARGS ?= --levels 250 --step-seconds 90 --capacity-seconds 100

bench: install tools  ## benchmarks print their figures and write them to benchmarks/results/
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
CODE_VERSION = $(shell find functions layers infra/build -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-10)

deploy: install build  ## into your AWS account (default region eu-central-1, see samconfig.toml), then the console
	$(SAM) deploy --guided --parameter-overrides CodeVersion=$(CODE_VERSION)
	$(BIN)/kanal console publish --stack $(STACK)

# ---------------------------------------------------------------- the artifact (`sam build`)
# SAM CLI lives in a virtualenv of its own: its pins clash with moto's, cfn-lint's and aws-sam-translator's.
SAM_VENV ?= .venv-sam
SAM := $(SAM_VENV)/bin/sam
# `sam build` and `sam validate` need no AWS account, only a region; no telemetry leaves the machine
export AWS_DEFAULT_REGION ?= eu-central-1
export SAM_CLI_TELEMETRY := 0
# The layers are built for the template's architecture; the cold-start benchmark sets LAYER_ARCH to this
# machine's (a test keeps the default equal to template.yaml's).
LAYER_ARCH ?= arm64
LAYER_PLATFORM = $(if $(filter x86_64,$(LAYER_ARCH)),manylinux2014_x86_64,manylinux2014_aarch64)
# The runtime's Python compiles the layers' bytecode: python3.13 on PATH, else pyenv's, else /usr/bin's
PYTHON313 ?= $(shell sh $(ROOT)/infra/build/find-python313)
# SAM's own python3.13 builder (the functions under functions/) looks for python3.13 on PATH; in source:
# the agent API's CodeUri is the repository, which SAM would otherwise copy whole, virtualenvs and all
SAM_BUILD = PATH="$(dir $(PYTHON313)):$$PATH" $(SAM) build --build-in-source

tools: $(SAM_VENV)/.installed

$(SAM_VENV)/.installed: infra/build/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/build/requirements-sam.txt
	touch $@

python313:
	@test -n "$(PYTHON313)" || { echo "CPython 3.13 (Lambda's python3.13) not found: the layers' bytecode \
	must be compiled by it. Install it (pyenv install 3.13, or Debian trixie's python3.13) or pass \
	PYTHON313=/path/to/python3.13" >&2; exit 1; }

validate: tools  ## the template as CloudFormation and SAM read it (`--lint` is cfn-lint: offline)
	$(SAM) validate --lint --template template.yaml

build: tools python313  ## `sam build` of template.yaml as deployed (arm64) into .aws-sam/build, then checked
	$(SAM_BUILD) --template template.yaml
	$(PYTHON313) infra/build/check_artifact.py .aws-sam/build

# The same artifact for this machine's architecture, for benchmarks/bench_coldstart.py to import: a copy of
# the template with only the architecture switched, built from the repository (--base-dir).
HOST_ARCH := $(subst aarch64,arm64,$(shell uname -m))
bench-artifact: tools python313
	mkdir -p .aws-sam
	sed -e 's/Architectures: \[arm64\]/Architectures: [$(HOST_ARCH)]/' \
	    -e 's/BuildArchitecture: arm64/BuildArchitecture: $(HOST_ARCH)/' template.yaml > .aws-sam/template-$(HOST_ARCH).yaml
	LAYER_ARCH=$(HOST_ARCH) $(SAM_BUILD) --template .aws-sam/template-$(HOST_ARCH).yaml \
	    --base-dir . --build-dir .aws-sam/build-$(HOST_ARCH)
	$(PYTHON313) infra/build/check_artifact.py .aws-sam/build-$(HOST_ARCH)

# `sam build` calls these from the resource's own directory (the layers' ContextPath in template.yaml points
# SAM at this Makefile; the agent API's CodeUri is this directory).
# The agent API: Chalice's app.py alone (the domain comes from the layer), with its bytecode.
build-ApiFunction: python313
	cp app.py $(ARTIFACTS_DIR)/
	$(PYTHON313) -m compileall -q --invalidation-mode unchecked-hash -d /var/task $(ARTIFACTS_DIR)/app.py

# The domain package, without the development tree's caches, compiled (infra/build/finish_layer.py says why).
build-DomainLayer: python313
	mkdir -p $(ARTIFACTS_DIR)/python
	cp -R kanal $(ARTIFACTS_DIR)/python/
	$(PYTHON313) $(ROOT)/infra/build/finish_layer.py $(ARTIFACTS_DIR)/python

# The lock, exactly (every file's hash checked, nothing resolved at build time: --no-deps), as wheels for
# the runtime's Python and the layer's architecture; then pruned and compiled.
build-DependenciesLayer: python313
	$(PYTHON313) -m pip install --quiet --disable-pip-version-check --no-compile --no-deps --require-hashes \
	    --only-binary=:all: --implementation cp --python-version 3.13 --platform $(LAYER_PLATFORM) \
	    --target $(ARTIFACTS_DIR)/python -r requirements.txt
	$(PYTHON313) $(ROOT)/infra/build/finish_layer.py $(ARTIFACTS_DIR)/python

# layers/deps/requirements.txt from requirements.in, without chalice's command-line dependencies, with the
# hashes of every wheel of each pinned version (every platform: arm64 deployed, x86_64 benchmarked).
lock: tools
	cd layers/deps && $(ROOT)/$(SAM_VENV)/bin/uv pip compile requirements.in --excludes cli-only.txt \
	    --universal --python-version 3.13 --generate-hashes --quiet --output-file requirements.txt

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SAM_VENV) .pytest_cache .ruff_cache .mypy_cache .aws-sam
