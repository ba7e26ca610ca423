"""template.yaml stays the single source of truth: routes, handlers, state machine error names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
        "KANAL_USER_POOL_ID",
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
        assert names - own <= AWS_ERROR_NAMES, names - own - AWS_ERROR_NAMES


# The error names Step Functions and its Lambda integration define (a typo here would never match).
AWS_ERROR_NAMES = {
    "States.ALL",
    "States.Timeout",
    "States.TaskFailed",
    "States.HeartbeatTimeout",
    "States.Permissions",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
}


def _routing_tasks() -> dict[str, dict]:
    definition = json.loads((ROOT / "infra/statemachines/routing.asl.json").read_text())
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def test_every_routing_task_retries_with_backoff_and_jitter_then_catches_into_the_failure_path():
    tasks = _routing_tasks()
    assert set(tasks) == {"Route", "Await", "Deadline", "RoutingFailed"}
    for name, state in tasks.items():
        backoff = [r for r in state["Retry"] if r.get("MaxAttempts", 3) > 0]
        assert backoff and all(r["BackoffRate"] >= 2 and r["JitterStrategy"] == "FULL" for r in backoff), name
        retried = {n for r in backoff for n in r["ErrorEquals"]}
        assert {"States.TaskFailed", "Lambda.Unknown", "Lambda.TooManyRequestsException"} <= retried, name
        if name == "RoutingFailed":  # failing too ends the execution: nothing left to catch it
            assert "Catch" not in state and state["Next"] == "Failed"
            continue
        last = state["Catch"][-1]
        assert last["ErrorEquals"] == ["States.ALL"] and last["Next"] == f"{name}Failed", name
    # the wait's own deadline and a changed clock are the flow, never retried, always caught into Deadline
    wait = tasks["Await"]
    assert wait["Retry"][0] == {"ErrorEquals": ["ClockChanged"], "MaxAttempts": 0}
    assert "States.Timeout" not in {n for r in wait["Retry"] for n in r["ErrorEquals"]}
    assert wait["Catch"][0]["ErrorEquals"] == ["States.Timeout", "ClockChanged"]
    assert wait["Catch"][0]["Next"] == "Deadline"


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
    assert "meta-page-tokens-??????" in api and "x-tokens-??????" in api and "ses:SendRawEmail" in api
    assert "meta-page-tokens-??????" in ingest and "x-tokens" not in ingest
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


# ------------------------------------------------------------------------------------ peaks (campaigns)

WEBHOOKS = ("MetaWebhookFunction", "XWebhookFunction", "ContactEventsWebhookFunction")
PARAMETERS = TEMPLATE["Parameters"]


def _default(node: object) -> object:
    """A parameter's default where the template refers to one, else the value itself."""
    if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in PARAMETERS:
        return PARAMETERS[node["Ref"]]["Default"]
    return node


def test_every_table_is_on_demand():
    tables = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::DynamoDB::Table"}
    assert len(tables) >= 6
    for logical_id, table in tables.items():
        assert table["Properties"].get("BillingMode") == "PAY_PER_REQUEST", logical_id
        assert "ProvisionedThroughput" not in table["Properties"], logical_id


def test_ingest_takes_short_batches_reports_failures_and_has_a_concurrency_cap():
    ingest = RESOURCES["IngestFunction"]["Properties"]
    queue = ingest["Events"]["Queue"]["Properties"]
    assert 1 <= queue["BatchSize"] <= 10  # a batch of ~0.1 s records stays a ~1 s invocation
    assert 0 < queue["MaximumBatchingWindowInSeconds"] <= 5  # a quiet hour waits at most this per record
    assert queue["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    cap = _default(queue["ScalingConfig"]["MaximumConcurrency"])
    assert isinstance(cap, int) and 2 <= cap <= 1000  # the documented range of MaximumConcurrency
    assert PARAMETERS["IngestMaxConcurrency"]["MinValue"] >= 2
    assert PARAMETERS["IngestMaxConcurrency"]["MaxValue"] <= 1000
    # a record stays invisible for at least six times the function's timeout (Lambda's recommendation)
    assert _default(RESOURCES["IngestQueue"]["Properties"]["VisibilityTimeout"]) >= 6 * ingest["Timeout"]


def test_campaign_mode_is_off_by_default_and_provisions_the_webhooks_and_ingest_only_when_on():
    assert PARAMETERS["CampaignMode"]["Default"] == "off"
    assert TEMPLATE["Conditions"]["Campaign"] == {"Fn::Equals": [{"Ref": "CampaignMode"}, "on"]}
    for logical_id, amount in [(w, "CampaignWebhookConcurrency") for w in WEBHOOKS] + [
        ("IngestFunction", "CampaignIngestConcurrency")
    ]:
        props = RESOURCES[logical_id]["Properties"]
        assert props["AutoPublishAlias"] == "live", logical_id  # provisioned concurrency needs an alias
        assert props["AutoPublishCodeSha256"] == {"Ref": "CodeVersion"}, logical_id
        condition, on, off = props["ProvisionedConcurrencyConfig"]["Fn::If"]
        assert condition == "Campaign" and off == {"Ref": "AWS::NoValue"}, logical_id
        assert on == {"ProvisionedConcurrentExecutions": {"Ref": amount}}, logical_id
    # what is provisioned fits inside what is reserved (webhooks) and what the queue may run (ingest)
    provisioned = PARAMETERS["CampaignWebhookConcurrency"]["Default"]
    assert provisioned <= PARAMETERS["WebhookReservedConcurrency"]["Default"]
    assert PARAMETERS["CampaignIngestConcurrency"]["Default"] <= PARAMETERS["IngestMaxConcurrency"]["Default"]
    others = set(_functions()) - set(WEBHOOKS) - {"IngestFunction"}
    assert all("ProvisionedConcurrencyConfig" not in RESOURCES[o]["Properties"] for o in others)


def test_the_webhooks_reserve_their_concurrency_unless_told_not_to():
    condition = TEMPLATE["Conditions"]["ReservesWebhookConcurrency"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebhookReservedConcurrency"}, 0]}]}
    for logical_id in WEBHOOKS:
        reserved = RESOURCES[logical_id]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"]
        assert reserved == [
            "ReservesWebhookConcurrency",
            {"Ref": "WebhookReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    # with the defaults, the three reservations and ingest's cap fit the default account quota (1,000)
    # and leave Lambda's minimum of 100 unreserved for every other function
    reserved = 3 * PARAMETERS["WebhookReservedConcurrency"]["Default"]
    assert reserved + PARAMETERS["IngestMaxConcurrency"]["Default"] <= 1000 - 100


def test_the_api_stage_throttles_above_a_campaign_peak_and_below_the_account_limit():
    settings = RESOURCES["KanalApi"]["Properties"]["MethodSettings"]
    everything = [s for s in settings if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*"]
    assert len(everything) == 1
    rate, burst = everything[0]["ThrottlingRateLimit"], everything[0]["ThrottlingBurstLimit"]
    assert 200 * 2 <= rate <= 10_000  # twice a 100x campaign (200 deliveries/s); the account's 10,000/s
    assert rate <= burst <= 5_000  # the account's burst is 5,000


def test_make_deploy_publishes_new_alias_versions_when_a_layer_changes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--parameter-overrides CodeVersion=$(CODE_VERSION)" in makefile
    assert "find functions layers" in makefile
    assert PARAMETERS["CodeVersion"]["Default"] == ""


def test_the_x_ray_sdk_is_off_unless_the_parameter_turns_it_on():
    assert PARAMETERS["XRaySdk"]["Default"] == "false"
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["KANAL_XRAY_SDK"] == {"Ref": "XRaySdk"}
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == "Active"  # invocations are traced without it


def test_the_local_stack_points_a_reference_to_an_alias_at_its_function():
    from kanal_local.stack import _aliases_to_functions

    cfn = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "FnAliaslive": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"FunctionName": {"Ref": "FnAliaslive"}, "BatchSize": 10},
            },
        }
    }
    assert _aliases_to_functions(cfn) == {"FnAliaslive": {"Ref": "Fn"}}
    assert cfn["Resources"]["Mapping"]["Properties"] == {"FunctionName": {"Ref": "Fn"}, "BatchSize": 10}


def test_the_inquiries_table_can_be_warmed_for_a_first_campaign_but_is_not_by_default():
    assert PARAMETERS["InquiriesWarmWrites"]["Default"] == 0  # charged, and it cannot be lowered again
    table = RESOURCES["InquiriesTable"]["Properties"]
    warm = {
        "Fn::If": [
            "WarmsInquiries",
            {"WriteUnitsPerSecond": {"Ref": "InquiriesWarmWrites"}},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert table["WarmThroughput"] == warm
    assert all(index["WarmThroughput"] == warm for index in table["GlobalSecondaryIndexes"])


# ------------------------------------------------------------------------ what a security review reads


def _of_type(kind: str) -> dict[str, dict]:
    return {k: v for k, v in RESOURCES.items() if v["Type"] == kind}


def test_every_table_outlives_the_stack_refuses_deletion_and_restores_to_a_second():
    for logical_id, table in _of_type("AWS::DynamoDB::Table").items():
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain", logical_id
        props = table["Properties"]
        assert props["DeletionProtectionEnabled"] is True, logical_id
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, logical_id
        assert props["SSESpecification"] == {"SSEEnabled": True}, logical_id


def _key_statements() -> dict[str, dict]:
    key = RESOURCES["EncryptionKey"]["Properties"]
    return {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}


def test_every_topic_is_encrypted_with_the_stacks_rotating_key():
    assert RESOURCES["EncryptionKey"]["Properties"]["EnableKeyRotation"] is True
    topics = _of_type("AWS::SNS::Topic")
    assert set(topics) == {"NotificationsTopic", "InboundMailTopic", "InboundSmsTopic", "OpsAlertsTopic"}
    for logical_id, topic in topics.items():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "EncryptionKey"}, logical_id


def test_the_key_lets_only_the_publishing_services_of_this_account_and_iam_use_it():
    statements = _key_statements()
    account = statements["AccountPrincipalsThroughIam"]
    assert account["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    services = {
        s["Principal"]["Service"] if isinstance(s["Principal"]["Service"], str) else "logs": s
        for s in statements.values()
        if "Service" in s.get("Principal", {})
    }
    # SES publishes received mail, two-way SMS received SMS, this account's alarms the ops alerts
    assert set(services) == {
        "ses.amazonaws.com",
        "sms-voice.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "logs",
    }
    for name in ("ses.amazonaws.com", "sms-voice.amazonaws.com", "cloudwatch.amazonaws.com"):
        statement = services[name]
        assert statement["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"], name
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}, (
            name
        )
    assert "ArnLike" in services["sms-voice.amazonaws.com"]["Condition"]
    alarms_only = services["cloudwatch.amazonaws.com"]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert alarms_only == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"
    }
    assert "kms:EncryptionContext:aws:logs:arn" in services["logs"]["Condition"]["ArnLike"]
    assert all(s["Principal"] != "*" and s["Principal"].get("AWS") != "*" for s in statements.values())


def _statements(logical_id: str) -> list[dict]:
    found = []
    for policy in RESOURCES[logical_id]["Properties"]["Policies"]:
        if "Fn::If" in policy:
            policy = policy["Fn::If"][1]
        found.extend(policy.get("Statement", []))
    return found


def test_every_function_that_publishes_to_the_encrypted_topic_may_use_its_key_and_no_other_may():
    for logical_id in _functions():
        publishes = any(
            "SNSPublishMessagePolicy" in p for p in RESOURCES[logical_id]["Properties"]["Policies"]
        )
        kms = [s for s in _statements(logical_id) if any(a.startswith("kms:") for a in s["Action"])]
        if publishes:
            assert kms == [
                {
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": {"Fn::GetAtt": ["EncryptionKey", "Arn"]},
                }
            ], logical_id
        else:
            assert kms == [], logical_id


# actions AWS does not scope to a resource: the only ones a policy of the template may grant on "*"
UNSCOPED_ACTIONS = {
    "states:SendTaskSuccess",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def test_no_policy_grants_on_every_resource_what_aws_scopes_to_one():
    holders = {**_functions(), **_of_type("AWS::Serverless::StateMachine")}
    for logical_id in holders:
        for statement in _statements(logical_id):
            if statement["Resource"] == "*":
                assert set(statement["Action"]) <= UNSCOPED_ACTIONS, (logical_id, statement["Action"])


def test_the_agent_api_unsubscribes_and_sends_mail_only_where_it_must():
    statements = {a: s for s in _statements("ApiFunction") for a in s["Action"]}
    assert statements["sns:Subscribe"]["Resource"] == {"Ref": "NotificationsTopic"}
    assert statements["sns:Unsubscribe"]["Resource"] == {"Fn::Sub": "${NotificationsTopic}:*"}
    sending = json.dumps(statements["ses:SendRawEmail"]["Resource"])
    assert "identity/${MailFromAddress}" in sending and "identity/*" not in sending
    mail = next(p for p in RESOURCES["ApiFunction"]["Properties"]["Policies"] if "Fn::If" in p)
    assert mail["Fn::If"][0] == "SendsMail" and mail["Fn::If"][2] == {"Ref": "AWS::NoValue"}


def test_every_secret_a_function_reads_is_named_with_the_six_characters_secrets_manager_appends():
    names = {r["Properties"]["Name"]["Fn::Sub"] for r in _of_type("AWS::SecretsManager::Secret").values()}
    arns = [
        p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]["Fn::Sub"]
        for logical_id in _functions()
        for p in RESOURCES[logical_id]["Properties"]["Policies"]
        if "AWSSecretsManagerGetSecretValuePolicy" in p
    ]
    assert len(arns) >= 7
    for arn in arns:
        prefix, name = arn.split(":secret:")
        assert prefix == "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
        assert name.endswith("-??????") and name.removesuffix("-??????") in names, arn


def test_the_channel_base_urls_are_https_in_aws_and_only_the_local_sandbox_is_let_through_on_http():
    from kanal_local.template import LOCAL_ALLOWED_PATTERNS, ParameterError, check_parameters

    parameters = TEMPLATE["Parameters"]
    sandbox = {
        "GraphBaseUrl": "http://127.0.0.1:8787/sandbox/graph/v26.0",
        "XBaseUrl": "http://127.0.0.1:8787/sandbox/x",
    }
    check_parameters(parameters, {})  # the defaults
    check_parameters(parameters, sandbox, LOCAL_ALLOWED_PATTERNS)
    for name, url in sandbox.items():
        with pytest.raises(ParameterError, match=name):
            check_parameters(parameters, {name: url})  # what CloudFormation answers in AWS
        for refused in (
            url.replace("127.0.0.1", "graph.example.com"),
            "http://api.x.com",
            "ftp://127.0.0.1:1/",
        ):
            with pytest.raises(ParameterError, match=name):
                check_parameters(parameters, {name: refused}, LOCAL_ALLOWED_PATTERNS)
    with pytest.raises(ParameterError, match="LogRetentionDays"):
        check_parameters(parameters, {"LogRetentionDays": "100"})
    with pytest.raises(ParameterError, match="ChannelRetrySeconds"):
        check_parameters(parameters, {"ChannelRetrySeconds": "26"})


def test_every_function_logs_to_a_group_of_its_own_kept_log_retention_days_and_encrypted():
    assert PARAMETERS["LogRetentionDays"]["Default"] == 90
    for logical_id, function in _functions().items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        props = RESOURCES[group]["Properties"]
        assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
        assert props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{logical_id}"}
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert props["KmsKeyId"] == {"Fn::GetAtt": ["EncryptionKey", "Arn"]}
    for group in _of_type("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_state_machine_logs_its_errors_without_execution_data():
    logging = RESOURCES["RoutingStateMachine"]["Properties"]["Logging"]
    assert logging["Level"] == "ERROR" and logging["IncludeExecutionData"] is False
    destination = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert destination == {"Fn::GetAtt": ["RoutingLogGroup", "Arn"]}


def test_the_api_access_log_is_json_without_body_address_agent_or_caller():
    setting = RESOURCES["KanalApi"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"])
    assert {"requestId", "status", "resource", "method"} <= set(line)
    text = setting["Format"]
    for personal in ("sourceIp", "userAgent", "identity", "authorizer", "body", 'path"'):
        assert personal not in text, personal


def test_every_checkov_finding_skipped_in_the_template_says_why():
    text = (ROOT / "template.yaml").read_text()
    skips = re.findall(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?$", text, re.MULTILINE)
    assert skips
    for check, reason in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), check
        assert reason and len(reason.split()) >= 6, check


def test_make_test_runs_checkov_pinned_in_a_virtualenv_of_its_own():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bcheckov\b", makefile, re.MULTILINE)
    assert "--framework cloudformation" in makefile and "-f template.yaml" in makefile
    pins = (ROOT / "infra/tools/requirements-checkov.txt").read_text().splitlines()
    packages = [line for line in pins if line and not line.startswith("#")]
    assert any(line.startswith("checkov==") for line in packages)
    assert all("==" in line for line in packages)
    assert "checkov" not in (ROOT / "pyproject.toml").read_text()


def test_each_id_token_comes_from_the_pre_token_trigger_which_reads_only_the_organisation_table():
    pool = RESOURCES["UserPool"]["Properties"]
    trigger = pool["LambdaConfig"]["PreTokenGenerationConfig"]
    assert trigger == {"LambdaArn": {"Fn::GetAtt": ["PreTokenFunction", "Arn"]}, "LambdaVersion": "V1_0"}
    assert [a["Name"] for a in pool["Schema"]] == ["agent_id"] and pool["Schema"][0]["Mutable"] is False
    function = RESOURCES["PreTokenFunction"]["Properties"]
    assert function["Handler"] == "pre_token.lambda_handler"
    assert function["Policies"] == [
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem"],
                    "Resource": {"Fn::GetAtt": ["OrganisationTable", "Arn"]},
                }
            ]
        }
    ]
    permission = RESOURCES["PreTokenPermission"]["Properties"]
    assert permission["Principal"] == "cognito-idp.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    # groups have one home, the organisation table: the pool declares none that could diverge
    assert not [r for r in RESOURCES.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"]


def test_the_api_may_manage_exactly_the_pools_users_it_creates_disables_and_signs_out():
    api = RESOURCES["ApiFunction"]["Properties"]
    assert api["Environment"]["Variables"]["KANAL_USER_POOL_ID"] == {"Ref": "UserPool"}
    cognito = [
        statement
        for policy in api["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        if any(str(action).startswith("cognito-idp:") for action in statement["Action"])
    ]
    assert cognito == [
        {
            "Effect": "Allow",
            "Action": [
                "cognito-idp:AdminCreateUser",
                "cognito-idp:AdminDeleteUser",
                "cognito-idp:AdminUpdateUserAttributes",
                "cognito-idp:AdminDisableUser",
                "cognito-idp:AdminEnableUser",
                "cognito-idp:AdminUserGlobalSignOut",
            ],
            "Resource": {"Fn::GetAtt": ["UserPool", "Arn"]},
        }
    ]


def test_tokens_live_an_hour_and_mfa_is_on_unless_the_parameter_says_optional():
    for client in ("UserPoolClient", "ConsoleUserPoolClient"):
        properties = RESOURCES[client]["Properties"]
        assert (properties["IdTokenValidity"], properties["AccessTokenValidity"]) == (1, 1)
        assert properties["RefreshTokenValidity"] == 12
        assert properties["TokenValidityUnits"] == {
            "IdToken": "hours",
            "AccessToken": "hours",
            "RefreshToken": "hours",
        }
        assert properties["WriteAttributes"] == ["locale"]  # not their e-mail; custom:agent_id is immutable
    assert TEMPLATE["Parameters"]["AgentMfa"]["Default"] == "ON"
    assert RESOURCES["UserPool"]["Properties"]["MfaConfiguration"] == {"Ref": "AgentMfa"}
    assert RESOURCES["UserPool"]["Properties"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def _alarm_dimensions(alarm: dict) -> dict:
    return {d["Name"]: d["Value"] for d in alarm["Properties"]["Dimensions"]}


def test_every_alarm_tells_the_ops_alerts_topic_when_it_fires_and_when_it_clears():
    alarms = _of_type("AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "OpsAlertsTopic"}], logical_id
        assert props["OKActions"] == [{"Ref": "OpsAlertsTopic"}], logical_id
        # a metric nobody emits (no dead letters, no errors) is the healthy case, not an unknown one
        assert props["TreatMissingData"] == "notBreaching", logical_id
    subscription = RESOURCES["OpsAlertsEmailSubscription"]
    assert subscription["Condition"] == "AlertsOpsByEmail"
    assert TEMPLATE["Parameters"]["OpsAlertEmail"]["Default"] == ""


def test_every_dead_letter_queue_and_every_function_has_an_alarm():
    alarms = [a for a in _of_type("AWS::CloudWatch::Alarm").values() if "MetricName" in a["Properties"]]
    watched = {
        (a["Properties"]["MetricName"], json.dumps(_alarm_dimensions(a), sort_keys=True)) for a in alarms
    }
    queues = [q for q, r in _of_type("AWS::SQS::Queue").items() if "RedrivePolicy" not in r["Properties"]]
    assert set(queues) == {"IngestDeadLetterQueue", "EventsDeadLetterQueue"}
    for queue in queues:
        dims = {"QueueName": {"Fn::GetAtt": [queue, "QueueName"]}}
        assert ("ApproximateNumberOfMessagesVisible", json.dumps(dims, sort_keys=True)) in watched, queue
    for function in _functions():
        dims = json.dumps({"FunctionName": {"Ref": function}}, sort_keys=True)
        assert {("Errors", dims), ("Throttles", dims)} <= watched, function
    machine = json.dumps({"StateMachineArn": {"Ref": "RoutingStateMachine"}}, sort_keys=True)
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        assert (metric, machine) in watched, metric
    assert "5XXError" in {name for name, _ in watched}


def test_the_dashboard_body_is_json_showing_the_ingest_lag_and_every_alarms_metric():
    body = RESOURCES["OpsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    shown = {tuple(m[:2]) for w in json.loads(body)["widgets"] for m in w["properties"]["metrics"]}
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage") in shown
    for alarm in _of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        watched = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m] or [
            props
        ]
        for metric in watched:
            assert (metric["Namespace"], metric["MetricName"]) in shown, metric["MetricName"]


def test_the_sla_breach_rate_alarm_divides_breaches_by_breaches_and_answers_in_time_over_the_parameter():
    props = RESOURCES["SlaBreachRateAlarm"]["Properties"]
    assert props["Threshold"] == {"Ref": "SlaBreachAlarmRate"}
    assert TEMPLATE["Parameters"]["SlaBreachAlarmRate"]["Default"] == 0.2
    returned = [m for m in props["Metrics"] if m["ReturnData"]]
    assert len(returned) == 1 and "breached / (FILL(breached, 0) + FILL(answered, 0))" in (
        returned[0]["Expression"].replace("FILL(breached, 0) / ", "breached / ")
    )


def test_the_local_stack_subscribes_the_ops_alerts_address_only_when_the_parameter_names_one():
    from kanal_local.stack import _holds

    assert not _holds("AlertsOpsByEmail", TEMPLATE, {})
    assert _holds("AlertsOpsByEmail", TEMPLATE, {"OpsAlertEmail": "oncall@example.org"})
    assert _holds(None, TEMPLATE, {})
