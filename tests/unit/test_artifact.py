"""What `sam build` ships: both layers built by the Makefile for the template's runtime and architecture,
from a lock with hashes, without chalice's command-line dependencies, with CPython 3.13 bytecode.

`make build` builds the real artifact and checks it (infra/build/check_artifact.py); these tests keep the
recipe honest without a network or a 30-second build."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kanal_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
LOCK = (ROOT / "layers" / "deps" / "requirements.txt").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
CLI_ONLY = {"click", "inquirer", "pip", "pyyaml", "setuptools", "wheel", "blessed", "editor", "readchar"}
CLI_ONLY |= {"runs", "xmod", "wcwidth", "jinxed"}


def _locked() -> dict[str, str]:
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s\\;]+)", LOCK, re.M)}


def _recipe(target: str) -> str:
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert match, f"no {target} target in the Makefile"
    return match.group(1).replace("\\\n", " ")


def test_both_layers_are_built_by_the_makefile_for_the_functions_architecture():
    architecture = TEMPLATE["Globals"]["Function"]["Architectures"]
    default = re.search(r"^LAYER_ARCH \?= (\S+)$", MAKEFILE, re.M)
    assert default and [default.group(1)] == architecture  # `make build` builds what is deployed
    for name in ("DomainLayer", "DependenciesLayer"):
        layer = RESOURCES[name]
        assert layer["Metadata"]["BuildMethod"] == "makefile"
        assert layer["Metadata"]["ContextPath"] == "."  # the Makefile beside template.yaml
        assert [layer["Metadata"]["BuildArchitecture"]] == architecture
        assert layer["Properties"]["CompatibleArchitectures"] == architecture
        assert f"build-{name}:" in MAKEFILE


def test_the_layers_are_compiled_for_the_runtimes_python():
    runtime = TEMPLATE["Globals"]["Function"]["Runtime"]
    version = runtime.removeprefix("python")
    for name in ("DomainLayer", "DependenciesLayer"):
        assert RESOURCES[name]["Properties"]["CompatibleRuntimes"] == [runtime]
        assert "$(PYTHON313) $(ROOT)/infra/build/finish_layer.py $(ARTIFACTS_DIR)/python" in _recipe(
            f"build-{name}"
        )
    assert f"--python-version {version}" in _recipe("build-DependenciesLayer")
    assert f'default="{version}"' in (ROOT / "infra" / "build" / "finish_layer.py").read_text()


def test_the_dependencies_layer_installs_the_lock_exactly_as_wheels_for_the_runtime():
    recipe = _recipe("build-DependenciesLayer")
    for flag in (
        "--require-hashes",
        "--no-deps",
        "--only-binary=:all:",
        "--implementation cp",
        "--no-compile",
    ):
        assert flag in recipe
    assert "--platform $(LAYER_PLATFORM)" in recipe and "-r requirements.txt" in recipe
    assert "manylinux2014_aarch64" in MAKEFILE and "manylinux2014_x86_64" in MAKEFILE


def test_the_lock_pins_every_requirement_with_hashes_and_leaves_chalices_cli_out():
    locked = _locked()
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.split("\n", 2)[2].strip())
    assert len(entries) == len(locked) > 10
    assert all("--hash=sha256:" in entry for entry in entries)  # pip --require-hashes needs one for each
    wanted = (ROOT / "layers" / "deps" / "requirements.in").read_text()
    for name, version in re.findall(r"^([\w.-]+)(?:\[[^\]]*\])?(?:==([\w.]+))?", wanted, re.M):
        assert name.lower() in locked
        assert not version or locked[name.lower()] == version
    assert locked["chalice"]  # chalice.app, for the agent API
    assert not set(locked) & CLI_ONLY
    assert {"pydantic", "pydantic-core", "fastjsonschema"}.isdisjoint(locked)  # extras no function imports
    excluded = (ROOT / "layers" / "deps" / "cli-only.txt").read_text().split()
    assert {"click", "inquirer", "pip", "pyyaml", "setuptools", "wheel"} <= set(excluded)


def test_compiled_dependencies_have_a_wheel_hash_for_more_than_one_platform():
    # arm64 is deployed, x86_64 is what the cold-start benchmark imports here: one hash would be one wheel
    for name in ("rpds-py", "charset-normalizer", "wrapt"):
        entry = re.search(rf"^{name}==.*?(?=\n[A-Za-z0-9]|\Z)", LOCK, re.M | re.S)
        assert entry and entry.group(0).count("--hash=sha256:") >= 4


def test_sam_cli_is_a_tool_of_its_own_not_a_development_dependency():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "aws-sam-cli" not in pyproject
    assert re.search(r"^aws-sam-cli==\d", (ROOT / "infra/build/requirements-sam.txt").read_text(), re.M)
    assert re.search(r"^test: .*\bvalidate\b.*\bbuild\b", MAKEFILE, re.M)  # CI validates and builds


def _python313() -> str:
    found = subprocess.run(
        ["sh", str(ROOT / "infra" / "build" / "find-python313")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        pytest.skip("no CPython 3.13 here (make build fails loudly without it)")
    return found.stdout.strip()


CHECK = """
import json, sys
from pathlib import Path
sys.path.insert(0, {build!r})
import check_artifact
python = Path({python!r})
print(json.dumps([check_artifact.bytecode_problems(python), check_artifact.dependency_problems(python)]))
"""


def test_a_finished_layer_keeps_chalice_app_alone_and_has_unchecked_hash_bytecode(tmp_path):
    python = tmp_path / "python"
    for path in (
        "chalice/__init__.py",
        "chalice/app.py",
        "chalice/cli/__init__.py",
        "chalice/deploy/deployer.py",
        "jsonschema/__init__.py",
        "jsonschema/tests/__init__.py",
        "jsonschema/tests/test_validators.py",
        "jsonschema/__pycache__/__init__.cpython-311.pyc",
        "bin/jsonschema",
        "wrapt-stubs/__init__.pyi",
    ):
        (python / path).parent.mkdir(parents=True, exist_ok=True)
        (python / path).write_text("VALUE = 1\n")
    (python / "chalice-1.34.0.dist-info").mkdir()
    (python / "jsonschema-4.26.0.dist-info").mkdir()
    interpreter = _python313()
    finish = [interpreter, str(ROOT / "infra" / "build" / "finish_layer.py"), str(python)]
    subprocess.run(finish, check=True, capture_output=True)

    assert sorted(p.name for p in (python / "chalice").iterdir()) == ["__init__.py", "__pycache__", "app.py"]
    assert not (python / "jsonschema" / "tests").exists()
    assert not (python / "bin").exists() and not (python / "wrapt-stubs").exists()
    assert sorted(p.name for p in (python / "jsonschema" / "__pycache__").iterdir()) == [
        "__init__.cpython-313.pyc"
    ]
    check = CHECK.format(build=str(ROOT / "infra" / "build"), python=str(python))
    done = subprocess.run([interpreter, "-c", check], check=True, capture_output=True, text=True)
    bytecode, dependencies = json.loads(done.stdout)
    assert bytecode == []
    assert dependencies == []


def test_the_artifact_check_names_a_cli_dependency_and_source_without_bytecode(tmp_path):
    python = tmp_path / "python"
    (python / "chalice").mkdir(parents=True)
    (python / "chalice" / "app.py").write_text("")
    (python / "click").mkdir()
    (python / "click" / "__init__.py").write_text("")
    (python / "click-8.5.1.dist-info").mkdir()
    check = CHECK.format(build=str(ROOT / "infra" / "build"), python=str(python))
    done = subprocess.run([_python313(), "-c", check], check=True, capture_output=True, text=True)
    bytecode, dependencies = json.loads(done.stdout)
    assert "chalice/app.py: no cpython-313 bytecode" in bytecode
    assert "click-8.5.1.dist-info: a command-line dependency of chalice" in dependencies
    assert any("not in layers/deps/requirements.txt" in problem for problem in dependencies)


def test_the_cold_start_benchmark_measures_the_built_artifact():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_coldstart
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    artifact = Path("/artifact")
    found = bench_coldstart.targets(artifact)
    assert found["boto3"][1] == [str(bench_coldstart.RUNTIME)]  # the runtime's boto3, outside the layers
    assert found["ingest"][0] == "ingest"
    paths = found["ingest"][1]
    assert paths == [
        str(artifact / "IngestFunction"),
        str(artifact / "DomainLayer" / "python"),
        str(artifact / "DependenciesLayer" / "python"),
        str(bench_coldstart.RUNTIME),
    ]
    assert bench_coldstart.child_environment("ingest")["PYTHONDONTWRITEBYTECODE"] == "1"
