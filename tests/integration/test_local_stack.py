"""The embedded stack deployed from template.yaml: routes, queues, state machines and IAM, for real."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import eventually, load_event
from tests.signing import sign_meta

ROOT = Path(__file__).resolve().parents[2]


def test_http_request_to_a_template_route_reaches_its_handler(local, http):
    # Given the Meta webhook route of the template
    before = local.stack.dispatcher.invocations.get("MetaWebhookFunction", 0)
    # When Meta sends its subscription handshake
    response = http.get(
        f"{local.url}/webhooks/meta",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "local-meta-verify-token",
            "hub.challenge": "1158201444",
        },
    )
    # Then the function behind it answers with the challenge, as text
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert local.stack.dispatcher.invocations["MetaWebhookFunction"] == before + 1


def test_a_route_the_template_does_not_declare_is_not_served(local, http):
    assert http.get(f"{local.url}/webhooks/unknown").status_code == 403
    assert http.delete(f"{local.url}/webhooks/meta").status_code == 403


def test_every_function_gets_the_time_scale_and_sms_number_from_the_template_parameters(local):
    lam = local.stack.client("lambda")
    for function in local.stack.dispatcher.by_logical_id.values():
        variables = lam.get_function_configuration(FunctionName=function.name)["Environment"]["Variables"]
        assert str(variables["KANAL_TIME_SCALE"]) == local.stack.environment["KANAL_TIME_SCALE"] == "60"
        assert variables["KANAL_SMS_ORIGINATION_NUMBER"] == "+447700900100"


def test_the_banner_names_the_time_scale_only_when_time_runs_faster(local, monkeypatch):
    monkeypatch.setitem(local.stack.parameters, "TimeScale", "1")
    assert "time scale" not in local.banner()
    monkeypatch.setitem(local.stack.parameters, "TimeScale", "120")
    assert "time scale:    120x" in local.banner()


def test_a_message_on_the_templates_queue_drives_the_sqs_triggered_function(local):
    # Given a record as the webhook path enqueues it
    from kanal.channels import split_delivery
    from kanal.intake.records import envelope

    record = split_delivery("meta", load_event("meta/messenger_text.json"))[0]
    # When it is sent straight to the template's ingest queue
    local.stack.client("sqs").send_message(
        QueueUrl=local.stack.outputs["IngestQueueUrl"], MessageBody=envelope(record, datetime.now(UTC))
    )
    # Then the ingest function stores its message
    table = local.stack.environment["KANAL_MESSAGES_TABLE"]
    dynamodb = local.stack.client("dynamodb")
    mid = load_event("meta/messenger_text.json")["entry"][0]["messaging"][0]["message"]["mid"]
    item = eventually(
        lambda: dynamodb.get_item(TableName=table, Key={"key": {"S": f"messenger#{mid}"}}).get("Item")
    )
    assert item["direction"]["S"] == "in"


def _waiting_execution(local, inquiry_id: str) -> str:
    table = local.stack.environment["KANAL_INQUIRIES_TABLE"]
    dynamodb = local.stack.client("dynamodb")
    item = eventually(
        lambda: (dynamodb.get_item(TableName=table, Key={"id": {"S": inquiry_id}}).get("Item") or {}).get(
            "task_token"
        ),
        timeout=20,
    )
    return item["S"]


def test_routing_execution_runs_its_lambda_task_and_waits_for_the_task_token(local, http):
    # Given a delivered comment (its inquiry's execution routes it, then waits on its SLA clock)
    body = json.dumps(load_event("meta/page_feed_comment_add.json")).encode()
    response = http.post(
        f"{local.url}/webhooks/meta",
        data=body,
        headers={"X-Hub-Signature-256": sign_meta(body, "local-meta-app-secret")},
    )
    assert response.status_code == 200
    stepfunctions = local.stack.client("stepfunctions")
    machine = local.stack.outputs["RoutingStateMachineArn"]

    def running():
        return stepfunctions.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]

    execution = eventually(running, timeout=20)[0]
    inquiry_id = execution["name"]
    # When the routing Lambda task has run and the wait task holds a token
    token = _waiting_execution(local, inquiry_id)
    history = stepfunctions.get_execution_history(executionArn=execution["executionArn"])["events"]
    assert any(e["type"] == "TaskSucceeded" for e in history), "the Lambda task ran"
    # Then SendTaskSuccess with a clock that says "done" completes the execution
    clock = {"seconds": 1, "version": 99, "done": True}
    stepfunctions.send_task_success(taskToken=token, output=json.dumps(clock))
    described = eventually(
        lambda: (
            (d := stepfunctions.describe_execution(executionArn=execution["executionArn"]))["status"]
            != "RUNNING"
            and d
        )
    )
    assert described["status"] == "SUCCEEDED"


IAM_PROBE = textwrap.dedent("""
    import json, sys
    from kanal_local.stack import LocalStack
    from kanal_local.template import load_template
    template = load_template()
    if sys.argv[1] == "without":
        policies = template["Resources"]["MetaWebhookFunction"]["Properties"]["Policies"]
        policies[:] = [p for p in policies if "SQSSendMessagePolicy" not in p]
    stack = LocalStack(template=template, poll=False).start()
    stack.client("secretsmanager").create_secret(Name="kanal/meta-app-secret", SecretString="s")
    import hmac, hashlib
    body = open(sys.argv[2], "rb").read()
    signature = "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
    event = {"resource": "/webhooks/meta", "path": "/webhooks/meta", "httpMethod": "POST",
             "headers": {"X-Hub-Signature-256": signature}, "body": body.decode(), "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/webhooks/meta", "httpMethod": "POST", "stage": "local",
                                "requestId": "probe"}}
    result, error = stack.dispatcher.invoke("MetaWebhookFunction", event)
    print(json.dumps({"error": error, "message": result.get("errorMessage") if error else None,
                      "status": None if error else result["statusCode"]}))
    stack.stop()
""")


@pytest.mark.parametrize("grant", ["without", "with"])
def test_a_permission_missing_from_the_template_is_denied_and_granted_once_it_is_added(grant, tmp_path):
    # Given the template, with or without the webhook's permission to send to the ingest queue
    probe = tmp_path / "probe.py"
    probe.write_text(IAM_PROBE)
    fixture = ROOT / "tests/events/meta/page_feed_comment_add.json"
    # When the webhook function runs on a stack deployed from it (a process of its own)
    done = subprocess.run(
        [sys.executable, str(probe), grant, str(fixture)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    # Then without the grant SQS answers AccessDenied; with it, the delivery is accepted
    if grant == "without":
        assert outcome["error"] == "ClientError"
        assert "AccessDenied" in outcome["message"] and "sqs:SendMessage" in outcome["message"]
    else:
        assert outcome == {"error": None, "message": None, "status": 200}


def test_the_stack_deploys_its_tables_protected_and_its_topics_and_logs_encrypted(local):
    # Given the stack deployed from the template
    dynamodb, sns, logs = (local.stack.client(s) for s in ("dynamodb", "sns", "logs"))
    key = local.stack.physical("EncryptionKey")
    # Then every table refuses DeleteTable
    for logical_id in ("InquiriesTable", "MessagesTable", "IdempotencyTable", "ReportsTable"):
        table = dynamodb.describe_table(TableName=local.stack.physical(logical_id))["Table"]
        assert table["DeletionProtectionEnabled"] is True, logical_id
    refused = None
    try:
        dynamodb.delete_table(TableName=local.stack.physical("ReportsTable"))
    except dynamodb.exceptions.ClientError as error:
        refused = error.response["Error"]["Code"]
    assert refused is not None
    # And every topic names the stack's key, and each function's log group keeps LogRetentionDays
    for output in ("NotificationsTopicArn", "InboundMailTopicArn", "InboundSmsTopicArn"):
        attributes = sns.get_topic_attributes(TopicArn=local.stack.outputs[output])["Attributes"]
        assert attributes["KmsMasterKeyId"] == key, output
    groups = {
        g["logGroupName"]: g
        for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/kanal-local-")["logGroups"]
    }
    assert len(groups) == len(local.stack.prepared.functions)
    assert all(g["retentionInDays"] == 90 for g in groups.values())


REFUSAL_PROBE = textwrap.dedent("""
    import json, sys
    from kanal_local.stack import LocalStack
    from kanal_local.template import ParameterError
    stack = LocalStack(parameters={"XBaseUrl": sys.argv[1]}, poll=False)
    try:
        stack.start()
    except ParameterError as refused:
        print(json.dumps({"refused": str(refused)}))
    else:
        print(json.dumps({"refused": None, "url": stack.environment["KANAL_X_BASE_URL"]}))
        stack.stop()
""")


@pytest.mark.parametrize(
    "url, refused", [("http://api.x.com", True), ("http://127.0.0.1:8787/sandbox/x", False)]
)
def test_the_local_deploy_refuses_what_the_template_refuses_but_its_own_sandbox(url, refused, tmp_path):
    # Given an X base URL on plain http: elsewhere, or the local channel sandbox
    probe = tmp_path / "probe.py"
    probe.write_text(REFUSAL_PROBE)
    # When a stack deploys with it (a process of its own)
    done = subprocess.run(
        [sys.executable, str(probe), url], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    # Then the template's https rule refuses the one, as CloudFormation would; the sandbox is let through
    if refused:
        assert "XBaseUrl" in outcome["refused"]
    else:
        assert outcome == {"refused": None, "url": url}
