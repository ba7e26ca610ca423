"""Where the local stack reaches into the emulator: each fails here, loudly, if an upgrade moves it."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

import botocore.client
from moto.awslambda.models import LambdaFunction
from moto.sqs.models import Queue

from kanal_local import moto_glue

ROOT = Path(__file__).resolve().parents[2]


def test_the_emulator_is_the_pinned_version():
    pinned = re.search(r'"moto\[[^]]*\]==([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert version("moto") == pinned


def test_the_patched_entry_points_exist_with_the_shapes_the_glue_expects():
    assert callable(LambdaFunction._invoke_lambda)
    assert callable(botocore.client.BaseClient._make_api_call)
    assert "lambda_event_source_mappings" in Queue.__init__.__code__.co_names
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    assert stepfunctions_backends is not stepfunctions_parser_backends


def test_definition_substitutions_are_spliced_without_touching_asl_context_paths():
    cfn = {
        "Resources": {
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "Definition": {
                        "States": {"A": {"Parameters": {"FunctionName": "${Fn}", "token.$": "$$.Task.Token"}}}
                    },
                    "DefinitionSubstitutions": {"Fn": {"Fn::GetAtt": ["F", "Arn"]}},
                },
            }
        }
    }
    moto_glue.inline_definition_substitutions(cfn)
    joined = cfn["Resources"]["M"]["Properties"]["DefinitionString"]["Fn::Join"]
    assert joined[0] == "" and {"Fn::GetAtt": ["F", "Arn"]} in joined[1]
    text = "".join(p for p in joined[1] if isinstance(p, str))
    assert "$$.Task.Token" in text and "${Fn}" not in text


def test_every_invocation_runs_the_installed_dispatcher(local):
    # The session stack installed the glue: a direct Invoke through the Lambda API reaches our runtime.
    before = local.stack.dispatcher.invocations.get("RoutingTaskFunction", 0)
    name = local.stack.physical("RoutingTaskFunction")
    response = local.stack.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps({"task": "unknown", "inquiry_id": "none"})
    )
    assert response.get("FunctionError") == "Handled"
    assert json.loads(response["Payload"].read())["errorType"] in {"ValueError", "NotFound"}
    assert local.stack.dispatcher.invocations["RoutingTaskFunction"] == before + 1


def test_cloudformation_state_machines_are_executable(local):
    arn = local.stack.outputs["RoutingStateMachineArn"]
    described = local.stack.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    assert "$$.Task.Token" in described["definition"]
    assert local.stack.physical("RoutingTaskFunction") in described["definition"]
