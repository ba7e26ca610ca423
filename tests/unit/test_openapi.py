"""schemas/openapi.yaml describes every route the agent API and the webhooks serve, and nothing else."""

from __future__ import annotations

from pathlib import Path

import yaml

from kanal_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = yaml.safe_load((ROOT / "schemas/openapi.yaml").read_text(encoding="utf-8"))
METHODS = {"get", "put", "post", "delete", "patch"}


def documented(prefix: str) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        if path.startswith(prefix)
        for method in item
        if method in METHODS
    }


def served() -> set[tuple[str, str]]:
    """Every Api event of every function in the template (the agent API's are kept equal to app.routes by
    tests/unit/test_template.py)."""
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "Api"
    }


def test_the_document_names_exactly_the_routes_the_stack_serves():
    assert documented("/api") == {r for r in served() if r[1].startswith("/api")}
    assert documented("/webhooks") == {r for r in served() if r[1].startswith("/webhooks")}


def test_every_operation_says_what_it_answers_and_every_agent_route_answers_401_without_a_token():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            assert operation.get("summary"), (method, path)
            if path.startswith("/api"):
                assert "401" in codes, (method, path)


def test_every_path_parameter_is_declared():
    for path, item in DOCUMENT["paths"].items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for method, operation in item.items():
            if method not in METHODS:
                continue
            declared = set()
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = DOCUMENT["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
                if parameter["in"] == "path":
                    declared.add(parameter["name"])
            assert declared == names, (method, path)


def test_every_reference_resolves():
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for ref in walk(DOCUMENT):
        if ref.startswith("#/"):
            target = DOCUMENT
            for part in ref[2:].split("/"):
                target = target[part]
        else:
            assert (ROOT / "schemas" / ref).is_file(), ref


def test_no_description_lost_a_part_to_an_unquoted_comma():
    # in a YAML flow mapping `{ description: a, or b }` is the description "a" and a key "or b" set to null
    def empty_keys(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None:
                    yield f"{path}.{key}"
                yield from empty_keys(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from empty_keys(value, f"{path}[{index}]")

    assert list(empty_keys(DOCUMENT, "$")) == []


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    validate(DOCUMENT, base_uri=(ROOT / "schemas").as_uri() + "/")
