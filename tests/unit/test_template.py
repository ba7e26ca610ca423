"""template.yaml stays the single source of truth: routes, handlers, state machine error names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import kanal.errors
from kanal_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def _functions():
    return {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}


# app.py binds the tables and caches its settings when imported: it is read in an interpreter of its own, so
# that these made-up settings never reach the local stack's handlers running in this one.
ROUTES_OF_APP = "import json, app; print(json.dumps([[m, p] for p, e in app.app.routes.items() for m in e]))"


def test_every_chalice_route_has_exactly_one_api_event_in_the_template():
    settings = (
        "KANAL_INQUIRIES_TABLE",
        "KANAL_MESSAGES_TABLE",
        "KANAL_CUSTOMERS_TABLE",
        "KANAL_ORGANISATION_TABLE",
        "KANAL_RULES_PARAMETER",
        "KANAL_NOTIFICATIONS_TOPIC_ARN",
        "KANAL_REPORTS_TABLE",
    )
    environ = {**os.environ, **dict.fromkeys(settings, "unit"), "AWS_DEFAULT_REGION": "eu-central-1"}
    read = subprocess.run(
        [sys.executable, "-c", ROUTES_OF_APP],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    routes = {(method, path) for method, path in json.loads(read.stdout.splitlines()[-1])}
    events = {
        (e["Properties"]["Method"].upper(), e["Properties"]["Path"])
        for e in RESOURCES["ApiFunction"]["Properties"]["Events"].values()
        if e["Type"] == "Api"
    }
    assert routes == events


def test_every_function_handler_exists_where_its_code_uri_says():
    for logical_id, function in _functions().items():
        props = function["Properties"]
        module, attribute = props["Handler"].rsplit(".", 1)
        source = ROOT / props["CodeUri"] / f"{module}.py"
        assert source.is_file(), f"{logical_id}: {source} is missing"
        assert f"{attribute} =" in source.read_text() or f"def {attribute}(" in source.read_text(), logical_id


def test_every_error_the_state_machines_retry_or_catch_is_raised_by_name_in_the_code():
    for path in (ROOT / "infra/statemachines").glob("*.asl.json"):
        definition = json.loads(path.read_text())
        names = {
            name
            for state in definition["States"].values()
            for clause in state.get("Retry", []) + state.get("Catch", [])
            for name in clause["ErrorEquals"]
        }
        own = {n for n in names if not n.startswith(("States.", "Lambda."))}
        assert all(hasattr(kanal.errors, n) for n in own), own - set(dir(kanal.errors))


def test_state_machines_are_referenced_by_definition_uri_not_inlined():
    machines = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::StateMachine"}
    assert machines
    for machine in machines.values():
        assert (ROOT / machine["Properties"]["DefinitionUri"]).is_file()
        assert "Definition" not in machine["Properties"]


def test_every_function_runs_on_arm64_with_the_domain_and_dependency_layers():
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["Runtime"].startswith("python3.")
    assert {"Ref": "DomainLayer"} in globals_["Layers"] and {"Ref": "DependenciesLayer"} in globals_["Layers"]


def _policy_text(logical_id: str) -> str:
    return json.dumps(RESOURCES[logical_id]["Properties"]["Policies"])


def test_the_functions_that_call_the_platforms_may_read_their_tokens():
    api, ingest = _policy_text("ApiFunction"), _policy_text("IngestFunction")
    assert "meta-page-tokens*" in api and "x-tokens*" in api and "ses:SendRawEmail" in api
    assert "meta-page-tokens*" in ingest and "x-tokens" not in ingest
    for secret in ("MetaPageTokens", "XTokens"):
        assert RESOURCES[secret]["Type"] == "AWS::SecretsManager::Secret"
        assert RESOURCES[secret]["Properties"]["SecretString"] == "{}"  # JSON: account id -> token


def test_the_platforms_base_urls_and_reply_settings_are_parameters_every_function_sees():
    parameters = TEMPLATE["Parameters"]
    assert parameters["GraphBaseUrl"]["Default"].startswith("https://graph.facebook.com/v")
    assert parameters["XBaseUrl"]["Default"] == "https://api.x.com"
    assert parameters["XReplyPolicy"]["AllowedValues"] == ["self-serve", "enterprise"]
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["KANAL_GRAPH_BASE_URL"] == {"Ref": "GraphBaseUrl"}
    assert variables["KANAL_X_BASE_URL"] == {"Ref": "XBaseUrl"}
    assert variables["KANAL_X_REPLY_POLICY"] == {"Ref": "XReplyPolicy"}
    assert variables["KANAL_CHANNEL_RETRY_SECONDS"] == {"Ref": "ChannelRetrySeconds"}
    # a reply may wait ChannelRetrySeconds and then make one more call inside the agent API's timeout
    assert parameters["ChannelRetrySeconds"]["MaxValue"] < RESOURCES["ApiFunction"]["Properties"]["Timeout"]
