"""What the emulator needs to run the template (emulator/needs.py, cognito.py): each fails here, loudly, if an
upgrade moves it."""

from __future__ import annotations

import inspect
import json
import re
import uuid
from importlib.metadata import version
from pathlib import Path

import botocore.client
import botocore.exceptions
from moto.awslambda.models import LambdaFunction
from moto.sqs.models import Queue

from kanal_local.emulator import cognito as emulator_cognito
from kanal_local.emulator import needs

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
    needs.inline_definition_substitutions(cfn)
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


def test_the_sns_delivery_hook_wraps_a_publish_whose_shape_it_knows():
    from moto.sns.models import Subscription

    assert list(inspect.signature(needs._moto_subscription_publish).parameters) == [
        "self",
        "message",
        "message_id",
        "subject",
        "message_attributes",
        "group_id",
        "deduplication_id",
        "message_structure",
    ]
    assert callable(Subscription._parse_message_structure)
    assert "_filter_policy_matcher" in Subscription.__init__.__code__.co_names


def _subscribe(sns, topic: str, recipient: str, protocol: str, endpoint: str) -> str:
    return sns.subscribe(
        TopicArn=topic,
        Protocol=protocol,
        Endpoint=endpoint,
        Attributes={"FilterPolicy": json.dumps({"recipient": [recipient], "deliver": [protocol]})},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def _notify(sns, topic: str, recipient: str, deliver: list[str], inquiry_id: str) -> None:
    text = {"default": f"mail {inquiry_id}", "email": f"mail {inquiry_id}", "sms": f"sms {inquiry_id}"}
    attributes = {
        "kind": "assigned",
        "inquiry_id": inquiry_id,
        "recipient": recipient,
        "team": "support",
        "band": "P2",
        "channel": "whatsapp",
    }
    sns.publish(
        TopicArn=topic,
        Subject=f"Kanal: inquiry {inquiry_id}",
        MessageStructure="json",
        Message=json.dumps(text),
        MessageAttributes={
            **{k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            "deliver": {"DataType": "String.Array", "StringValue": json.dumps(deliver)},
        },
    )


def test_email_and_sms_deliveries_are_recorded_as_the_filter_policies_route_them(local):
    from moto.sns.models import Subscription

    assert Subscription.publish is needs._sns_publish  # installed by the stack
    # Given agents A and B, each with an e-mail and an SMS subscription filtered on recipient and deliver
    sns, run = local.stack.client("sns"), uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"glue-deliveries-{run}")["TopicArn"]
    addresses = {
        ("a", "email"): f"a-{run}@kanal.test",
        ("a", "sms"): f"+4915{uuid.uuid4().int % 10**9:09d}",
        ("b", "email"): f"b-{run}@kanal.test",
        ("b", "sms"): f"+4916{uuid.uuid4().int % 10**9:09d}",
    }
    for (agent, protocol), endpoint in addresses.items():
        _subscribe(sns, topic, f"{agent}-{run}", protocol, endpoint)
    # When A is notified by e-mail and SMS, and then by SMS only
    _notify(sns, topic, f"a-{run}", ["email", "sms"], f"both-{run}")
    _notify(sns, topic, f"a-{run}", ["sms"], f"sms-only-{run}")
    # Then only A's subscriptions received anything: both for the first, the SMS one for the second
    ours = set(addresses.values())
    recorded = [n for n in local.stack.notifications.items() if n["address"] in ours]
    assert [(n["inquiry_id"], n["protocol"], n["address"]) for n in recorded] == [
        (f"both-{run}", "email", addresses[("a", "email")]),
        (f"both-{run}", "sms", addresses[("a", "sms")]),
        (f"sms-only-{run}", "sms", addresses[("a", "sms")]),
    ]
    # each with the protocol's own message and the publish's attributes
    first = recorded[0]
    assert first["text"] == f"mail both-{run}" and recorded[1]["text"] == f"sms both-{run}"
    assert first["subject"] == f"Kanal: inquiry both-{run}"
    assert (first["kind"], first["recipient"], first["team"], first["band"], first["channel"]) == (
        "assigned",
        f"a-{run}",
        "support",
        "P2",
        "whatsapp",
    )
    assert first["at"].endswith("Z")


def test_a_topic_with_more_than_a_hundred_subscriptions_reaches_every_one(local):
    # Given 120 agents' e-mail subscriptions on one topic (moto's own publish reads one page of 100)
    sns, run = local.stack.client("sns"), uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"glue-many-{run}")["TopicArn"]
    for number in range(120):
        _subscribe(sns, topic, f"agent{number}-{run}", "email", f"agent{number}-{run}@kanal.test")
    # When the last one subscribed is notified
    _notify(sns, topic, f"agent119-{run}", ["email"], f"last-{run}")
    # Then their subscription received it
    recorded = [n for n in local.stack.notifications.items() if n["inquiry_id"] == f"last-{run}"]
    assert [n["address"] for n in recorded] == [f"agent119-{run}@kanal.test"]


def test_a_subscription_without_a_filter_policy_receives_every_message_and_other_protocols_are_not_recorded(
    local,
):
    sns, run = local.stack.client("sns"), uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"glue-unfiltered-{run}")["TopicArn"]
    address = f"ops-{run}@kanal.test"
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint=address)
    sqs = local.stack.client("sqs")
    queue = sqs.create_queue(QueueName=f"glue-unfiltered-{run}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    # When a plain message (no structure, no attributes) is published
    sns.publish(TopicArn=topic, Message="plain")
    # Then the e-mail subscription's delivery is recorded, and the queue still receives its copy
    recorded = [n for n in local.stack.notifications.items() if n["address"] == address]
    assert [(n["protocol"], n["text"], n["kind"], n["recipient"]) for n in recorded] == [
        ("email", "plain", None, None)
    ]
    assert "team" not in recorded[0]
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")


def test_mail_ses_sent_is_read_from_the_emulators_backend(local):
    from moto.ses.models import RawMessage, ses_backends

    assert {"id", "source", "destinations", "raw_data"} <= set(RawMessage("i", "s", [], "r").__dict__)
    assert hasattr(ses_backends[local.stack.account][local.stack.region], "sent_messages")
    # Given a raw mail sent through SES from a verified domain
    ses, run = local.stack.client("ses"), uuid.uuid4().hex[:8]
    ses.verify_domain_identity(Domain=f"glue-{run}.test")
    raw = (
        f"From: service@glue-{run}.test\r\nTo: kunde-{run}@example.org\r\nSubject: Re: Frage\r\n"
        f"In-Reply-To: <in-{run}@example.org>\r\nReferences: <in-{run}@example.org>\r\n\r\nHallo!\r\n"
    )
    message_id = ses.send_raw_email(Source=f"service@glue-{run}.test", RawMessage={"Data": raw})["MessageId"]
    # Then the glue lists it with SES's id, its sender and recipients, and the raw message
    [sent] = [
        m for m in needs.sent_emails(local.stack.account, local.stack.region) if m.message_id == message_id
    ]
    assert sent.source == f"service@glue-{run}.test"
    assert any(f"kunde-{run}@example.org" in d for d in sent.destinations)
    assert f"In-Reply-To: <in-{run}@example.org>" in sent.raw and sent.raw.endswith("Hallo!\r\n")


def test_iam_wildcards_match_as_iam_does_one_character_for_a_question_mark(local):
    # Given a policy on the secrets' names with the six characters Secrets Manager appends (the session's
    # stack installed the glue)
    from moto.iam.access_control import IAMPolicyStatement

    match = IAMPolicyStatement._match
    pattern = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:kanal/meta-app-secret-??????"
    # Then exactly six characters match, a dot is a dot, and a star is any run of characters
    assert match(pattern, pattern.replace("??????", "AbC123"))
    assert not match(pattern, pattern.replace("??????", "old-AbC123"))
    assert not match(pattern, pattern.replace("??????", "AbC12"))
    assert match("arn:aws:sns:*:123:kanal.topic", "arn:aws:sns:eu-central-1:123:kanal.topic")
    assert not match("arn:aws:sns:*:123:kanal.topic", "arn:aws:sns:eu-central-1:123:kanalXtopic")
    assert match("sns:Publish", "sns:Publish") and match("dynamodb:*", "dynamodb:Query")


def test_a_secret_is_authorised_on_its_full_arn_so_a_longer_name_is_not_the_same_secret(local):
    # Given the webhook's role, allowed the meta app secret by name and the six appended characters
    from kanal_local import iam

    role = local.stack.dispatcher.by_logical_id["MetaWebhookFunction"].role
    secrets = local.stack.client("secretsmanager")
    secrets.create_secret(Name="kanal/meta-app-secret-previous", SecretString="old")
    region = local.stack.region
    # When it reads its own secret by name, it is the full ARN that is checked, and allowed
    _action, arn = iam.calls_of(
        "secretsmanager", region, "GetSecretValue", {"SecretId": "kanal/meta-app-secret"}
    )[0]
    assert re.fullmatch(
        r"arn:aws:secretsmanager:eu-central-1:123456789012:secret:kanal/meta-app-secret-\w{6}", arn
    )
    iam.check(role, "secretsmanager", region, "GetSecretValue", {"SecretId": "kanal/meta-app-secret"})
    # Then another secret whose name merely starts the same is refused
    try:
        iam.check(
            role, "secretsmanager", region, "GetSecretValue", {"SecretId": "kanal/meta-app-secret-previous"}
        )
    except botocore.exceptions.ClientError as refused:
        assert refused.response["Error"]["Code"] == "AccessDeniedException"
    else:
        raise AssertionError("a secret the policy does not name was readable")


def test_a_publish_to_the_encrypted_topic_needs_its_key_as_in_aws(local):
    # Given the notifications topic, encrypted with the stack's key
    from kanal_local import iam

    region, topic = local.stack.region, local.stack.outputs["NotificationsTopicArn"]
    key = local.stack.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    key_arn = local.stack.client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"]
    assert iam.calls_of("sns", region, "Publish", {"TopicArn": topic}) == [
        ("sns:Publish", topic),
        ("kms:GenerateDataKey", key_arn),
        ("kms:Decrypt", key_arn),
    ]
    # When the routing task's role publishes, as the template grants it, it may
    routing = local.stack.dispatcher.by_logical_id["RoutingTaskFunction"].role
    iam.check(routing, "sns", region, "Publish", {"TopicArn": topic, "Message": "m"})
    # Then a role allowed sns:Publish alone is refused on the key
    publish_only = iam.RolePolicies(
        "arn:aws:iam::123456789012:role/probe",
        (json.dumps({"Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic}]}),),
    )
    try:
        iam.check(publish_only, "sns", region, "Publish", {"TopicArn": topic, "Message": "m"})
    except botocore.exceptions.ClientError as refused:
        assert "kms:GenerateDataKey" in refused.response["Error"]["Message"]
    else:
        raise AssertionError("a publish without the key was allowed")


def test_the_stacks_key_policy_is_json_text_as_the_kms_api_answers_it(local):
    # Given the key the template declares with its policy as an object
    kms = local.stack.client("kms")
    key = local.stack.physical("EncryptionKey")
    # When the KMS API describes it and reads its policy
    metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    # Then both answer, with the references resolved
    assert metadata["KeyState"] == "Enabled"
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["AccountPrincipalsThroughIam"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert sids["SesPublishesReceivedMail"]["Condition"]["StringEquals"] == {
        "aws:SourceAccount": "123456789012"
    }
    assert needs.key_policies_as_text(local.stack.account, local.stack.region) == 0  # already text


def test_moto_has_no_cognito_resources_of_its_own_so_ours_deploy_the_templates_pool(local):
    # 17.: if an upgrade brings moto's own, ours would shadow them: this fails and says so
    from moto.cloudformation.parsing import get_model_list

    types = [m for m in get_model_list() if m.cloudformation_type().startswith("AWS::Cognito::")]
    assert types == [emulator_cognito.CognitoUserPoolResource, emulator_cognito.CognitoUserPoolClientResource]
    pool_id = local.stack.physical("UserPool")
    pool = local.stack.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaVersion"] == "V1_0"
    assert pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaArn"].endswith(
        local.stack.physical("PreTokenFunction")
    )
    assert pool["MfaConfiguration"] == "ON" and pool["UsernameAttributes"] == ["email"]
    assert "custom:agent_id" in {a["Name"] for a in pool["SchemaAttributes"]}
    clients = local.stack.client("cognito-idp").list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    assert {local.stack.physical("UserPoolClient"), local.stack.physical("ConsoleUserPoolClient")} <= {
        c["ClientId"] for c in clients["UserPoolClients"]
    }


def test_the_id_token_is_shaped_by_the_pre_token_trigger_and_a_failing_trigger_fails_the_sign_in(local):
    # 18.: moto's token writer and auth entry points have the shapes the glue wraps
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

    assert list(inspect.signature(emulator_cognito._moto_create_id_token).parameters) == [
        "self",
        "client_id",
        "username",
        "origin_jti",
    ]
    assert list(inspect.signature(emulator_cognito._moto_create_jwt).parameters)[:6] == [
        "self",
        "client_id",
        "username",
        "token_use",
        "expires_in",
        "extra_data",
    ]
    assert (
        list(inspect.signature(CognitoIdpBackend.admin_initiate_auth.__wrapped__).parameters)[3]
        == "auth_flow"
    )
    assert list(inspect.signature(CognitoIdpBackend.initiate_auth.__wrapped__).parameters)[2] == "auth_flow"
    assert CognitoIdpUserPool.create_id_token is emulator_cognito._create_id_token
    before = local.stack.dispatcher.invocations.get("PreTokenFunction", 0)
    result = local.stack.sign_in.sign_in("lena.hoffmann@velora.example")
    assert local.stack.dispatcher.invocations["PreTokenFunction"] == before + 1
    claims = local.stack.sign_in.verify(result["IdToken"])
    assert claims["kanal:agent_id"] == "lena" and claims["cognito:groups"] == ["agents", "leads"]
    # a user whose custom:agent_id names no agent: the trigger raises, Cognito issues nothing
    cognito, pool_id = local.stack.client("cognito-idp"), local.stack.physical("UserPool")
    stray = f"stray-{uuid.uuid4().hex[:6]}@velora.example"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=stray,
        UserAttributes=[{"Name": "custom:agent_id", "Value": "nobody-here"}],
        MessageAction="SUPPRESS",
    )
    from kanal_local.auth import SignInFailed

    try:
        local.stack.sign_in.sign_in(stray)
    except SignInFailed as error:
        assert error.status == 401 and "PreTokenGeneration failed" in str(error)
    else:
        raise AssertionError("a user of no agent got a token")
    finally:
        cognito.admin_delete_user(UserPoolId=pool_id, Username=stray)


def test_the_gateway_checks_tokens_against_the_key_set_moto_serves(local):
    # 19.: the document the local gateway trusts is the one moto serves for every pool
    import requests

    aws = f"http://127.0.0.1:{local.stack.aws_port}"
    served = requests.get(
        f"{aws}/{local.stack.physical('UserPool')}/.well-known/jwks.json", timeout=10
    ).json()
    assert served == emulator_cognito.cognito_jwks() and [k["kid"] for k in served["keys"]] == ["dummy"]


def test_the_aws_endpoint_fails_at_once_when_its_port_is_taken():
    import socket

    import pytest

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        endpoint = needs.Endpoint(ip_address="127.0.0.1", port=held.getsockname()[1], verbose=False)
        with pytest.raises(needs.EndpointNotListening, match=str(held.getsockname()[1])):
            endpoint.start()  # moto's own start waited here forever
