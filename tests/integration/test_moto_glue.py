"""Where the local stack reaches into the emulator: each fails here, loudly, if an upgrade moves it."""

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


def test_the_sns_delivery_hook_wraps_a_publish_whose_shape_it_knows():
    from moto.sns.models import Subscription

    assert list(inspect.signature(moto_glue._moto_subscription_publish).parameters) == [
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

    assert Subscription.publish is moto_glue._sns_publish  # installed by the stack
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
        m
        for m in moto_glue.sent_emails(local.stack.account, local.stack.region)
        if m.message_id == message_id
    ]
    assert sent.source == f"service@glue-{run}.test"
    assert any(f"kunde-{run}@example.org" in d for d in sent.destinations)
    assert f"In-Reply-To: <in-{run}@example.org>" in sent.raw and sent.raw.endswith("Hallo!\r\n")


def test_dynamodb_transactions_leave_no_table_copies_behind(local):
    from moto.core.model_instances import model_data

    # Given the emulator's DynamoDB model classes
    models = model_data["dynamodb"].values()
    # When a transaction runs (moto deep-copies the tables it touches to roll back)
    dynamodb, table = local.stack.client("dynamodb"), local.stack.environment["KANAL_ORGANISATION_TABLE"]
    item = {"pk": {"S": f"GLUE#{uuid.uuid4().hex}"}, "sk": {"S": "PROFILE"}}
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": item}}])
    # Then no model registry keeps those copies (they would grow with the square of the inquiries)
    assert all(len(model.instances_tracked) == 0 for model in models)


def test_a_cancelled_transaction_puts_back_exactly_the_items_it_named_without_copying_the_table(
    local, monkeypatch
):
    import copy

    import pytest
    from botocore.exceptions import ClientError
    from moto.dynamodb.models.table import Table

    dynamodb, table = local.stack.client("dynamodb"), local.stack.environment["KANAL_ORGANISATION_TABLE"]
    tag = uuid.uuid4().hex

    def key(name: str) -> dict:
        return {"pk": {"S": f"GLUE#{tag}#{name}"}, "sk": {"S": "PROFILE"}}

    def read(name: str) -> dict | None:
        return dynamodb.get_item(TableName=table, Key=key(name), ConsistentRead=True).get("Item")

    # Given two items, one to change and one to delete, and a key that does not exist yet
    dynamodb.put_item(TableName=table, Item={**key("kept"), "n": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={**key("gone"), "n": {"N": "2"}})
    copied: list[str] = []
    original = copy.deepcopy

    def counting(value, memo=None):
        if isinstance(value, Table):
            copied.append(value.name)
        return original(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    # When a transaction updates the first, deletes the second, adds the third and then fails a condition
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("kept"),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "9"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": key("gone")}},
                {"Put": {"TableName": table, "Item": {**key("new"), "n": {"N": "3"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("absent"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    # Then it is cancelled, every item is as it was, and no table was copied to get there
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert read("kept")["n"] == {"N": "1"}
    assert read("gone")["n"] == {"N": "2"}
    assert read("new") is None
    assert copied == []
    # And a transaction that succeeds writes everything it names
    dynamodb.transact_write_items(
        TransactItems=[
            {"Delete": {"TableName": table, "Key": key("gone")}},
            {"Put": {"TableName": table, "Item": {**key("new"), "n": {"N": "3"}}}},
        ]
    )
    assert read("gone") is None and read("new")["n"] == {"N": "3"}


def test_sqs_sends_and_receives_do_not_count_the_queue_but_its_attributes_still_do(local, monkeypatch):
    sqs = local.stack.client("sqs")
    url = sqs.create_queue(QueueName=f"glue-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    fifo = sqs.create_queue(
        QueueName=f"glue-{uuid.uuid4().hex[:12]}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"record {i}"} for i in range(10)]
    )
    counted: list[str] = []
    original = Queue.approximate_number_of_messages

    def counting(self: Queue) -> int:
        counted.append(self.name)
        return original.fget(self)

    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(counting))
    # When a record is sent and a batch received on a queue that holds ten
    sqs.send_message(QueueUrl=url, MessageBody="record 10")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    # Then neither walked the queue's messages to count them (that made a send cost the queue's depth)
    assert len(received) == 5 and counted == []
    # And GetQueueAttributes still counts: 6 visible, 5 in flight
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == (
        "6",
        "5",
    )
    # And a FIFO queue's content-based deduplication (read from the attributes during a send) still holds
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo, MessageBody="same body", MessageGroupId="g")
    assert len(sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]) == 1


def test_a_batch_sent_straight_to_the_backend_lands_as_before_and_fires_botocores_events(local):
    import pytest
    from botocore.exceptions import ClientError, ParamValidationError

    sqs = local.stack.client("sqs")
    url = sqs.create_queue(QueueName=f"glue-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    seen: list[str] = []
    sqs.meta.events.register("before-parameter-build.sqs.SendMessageBatch", lambda **_: seen.append("before"))
    sqs.meta.events.register("after-call.sqs.SendMessageBatch", lambda parsed, **_: seen.append("after"))
    attributes = {"kind": {"DataType": "String", "StringValue": "comment"}}
    # When a batch of two is sent, one with a message attribute
    answer = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "first", "MessageAttributes": attributes},
            {"Id": "b", "MessageBody": "second"},
        ],
    )
    # Then both are answered as SQS answers (ids, body MD5s) and the hooks saw the call once
    assert sorted(s["Id"] for s in answer["Successful"]) == ["a", "b"] and answer["Failed"] == []
    assert all(len(s["MD5OfMessageBody"]) == 32 for s in answer["Successful"])
    assert seen == ["before", "after"]
    # And both are on the queue with their attributes
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    by_body = {m["Body"]: m for m in got}
    assert set(by_body) == {"first", "second"}
    assert by_body["first"]["MessageAttributes"]["kind"]["StringValue"] == "comment"
    # And bad input fails as before: botocore's validation, and SQS's own errors from the usual path
    with pytest.raises(ParamValidationError):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a"}])
    with pytest.raises(ClientError) as duplicate:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}]
        )
    assert "BatchEntryIdsNotDistinct" in duplicate.value.response["Error"]["Code"]
    with pytest.raises(ClientError) as missing:
        sqs.send_message_batch(QueueUrl=url + "-gone", Entries=[{"Id": "a", "MessageBody": "x"}])
    assert "NonExistentQueue" in missing.value.response["Error"]["Code"]


def test_a_state_machine_definition_is_parsed_once_and_each_execution_gets_its_own_program():
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    first, tree = AmazonStateLanguageParser.parse(definition)
    second, same_tree = AmazonStateLanguageParser.parse(definition)
    assert same_tree is tree and second is not first


RICH_ITEM = {
    "pk": {"S": "GLUE#rich"},
    "sk": {"S": "PROFILE"},
    "empty": {"S": ""},
    "text": {"S": "Grüße, bitte helft mir"},
    "number": {"N": "12.50"},
    "binary": {"B": b"\x00\x01kanal"},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "binaries": {"BS": [b"\x02", b"\x03"]},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "nested": {
        "M": {
            "list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"BOOL": True}}}, {"L": []}]},
            "map": {"M": {}},
            "blob": {"B": b"\xff"},
        }
    },
}


def test_dynamodb_answers_are_the_json_moto_writes_and_read_back_unchanged(local):
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model

    # Given an item with every kind of attribute value DynamoDB has, nested
    dynamodb, table = local.stack.client("dynamodb"), local.stack.environment["KANAL_ORGANISATION_TABLE"]
    item = {**RICH_ITEM, "pk": {"S": f"GLUE#{uuid.uuid4().hex}"}}
    dynamodb.put_item(TableName=table, Item=item)
    # When it is read back (GetItem), updated (ALL_NEW) and queried through the emulator
    got = dynamodb.get_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)
    updated = dynamodb.update_item(
        TableName=table,
        Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "number"},
        ExpressionAttributeValues={":n": {"N": "13"}},
        ReturnValues="ALL_NEW",
    )
    queried = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": item["pk"]},
        ReturnConsumedCapacity="TOTAL",
    )
    # Then every value comes back as it was written (binaries as bytes, sets as sets)
    assert got["Item"] == item
    assert updated["Attributes"] == {**item, "number": {"N": "13"}}
    assert queried["Items"] == [{**item, "number": {"N": "13"}}] and queried["Count"] == 1
    assert queried["ConsumedCapacity"]["CapacityUnits"] > 0
    # And the answer's JSON is byte for byte what moto's own serializer writes
    model = get_service_model("dynamodb")
    for operation, result in (
        (
            "GetItem",
            {"Item": moto_result(item), "ConsumedCapacity": {"TableName": table, "CapacityUnits": 0.5}},
        ),
        ("Query", {"Items": [moto_result(item)], "Count": 1, "ScannedCount": 1}),
    ):
        bodies = []
        for serializer in (JSONSerializer, moto_glue.DynamoDBSerializer):
            bodies.append(
                serializer(
                    operation_model=model.operation_model(operation),
                    value_picker=XFormedAttributePicker(),
                ).serialize(result)["body"]
            )
        assert json.loads(bodies[1]) == json.loads(bodies[0])


def moto_result(item: dict) -> dict:
    """An item as moto's DynamoDB answers hold it (`dynamo_to_dict`: binaries as raw bytes)."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import dynamo_to_dict

    wire = json.loads(json.dumps(item, default=lambda b: __import__("base64").b64encode(b).decode()))
    return {name: dynamo_to_dict(DynamoType(value)) for name, value in wire.items()}


def test_a_query_on_a_tables_own_key_reads_its_partition_only_and_pages_as_before(local, monkeypatch):
    dynamodb, table = local.stack.client("dynamodb"), local.stack.environment["KANAL_ORGANISATION_TABLE"]
    tag = uuid.uuid4().hex
    for partition in ("a", "b"):
        for n in range(5):
            dynamodb.put_item(
                TableName=table, Item={"pk": {"S": f"GLUE#{tag}#{partition}"}, "sk": {"S": f"ITEM#{n}"}}
            )
    whole_table: list[str] = []
    original = moto_glue._moto_all_items
    monkeypatch.setattr(moto_glue, "_moto_all_items", lambda t: whole_table.append(t.name) or original(t))

    def page(**extra) -> dict:
        return dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues={":pk": {"S": f"GLUE#{tag}#a"}, ":sk": {"S": "ITEM#"}},
            Limit=2,
            **extra,
        )

    # When one partition is queried newest first, two at a time
    keys, answer = [], page(ScanIndexForward=False)
    while True:
        keys += [i["sk"]["S"] for i in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            break
        answer = page(ScanIndexForward=False, ExclusiveStartKey=answer["LastEvaluatedKey"])
    # Then it pages through exactly that partition, in order, without reading the whole table
    assert keys == [f"ITEM#{n}" for n in (4, 3, 2, 1, 0)]
    assert whole_table == []
    # And a partition that does not exist is empty (and is not created by the lookup)
    none = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"GLUE#{tag}#none"}},
    )
    assert none["Items"] == []
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    backend = dynamodb_backends[local.stack.account][local.stack.region]
    assert DynamoType({"S": f"GLUE#{tag}#none"}) not in backend.get_table(table).items


def test_step_functions_lambda_tasks_share_one_client_per_region(local):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    first = lambda_eval_utils.boto_client_for("eu-central-1", "lambda", None)
    assert lambda_eval_utils.boto_client_for("eu-central-1", "lambda", object()) is first
    assert lambda_eval_utils.boto_client_for("eu-west-1", "lambda", None) is not first


def test_an_update_expression_is_parsed_once_per_text_and_a_bad_one_still_fails(local):
    import pytest
    from botocore.exceptions import ClientError
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    dynamodb, table = local.stack.client("dynamodb"), local.stack.environment["KANAL_ORGANISATION_TABLE"]
    key = {"pk": {"S": f"GLUE#{uuid.uuid4().hex}"}, "sk": {"S": "PROFILE"}}
    assert UpdateExpressionParser.make("SET #n = :n") is UpdateExpressionParser.make("SET #n = :n")
    # When the same expression updates an item twice, with different values
    for n in ("1", "2"):
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #n = :n, #m = if_not_exists(#m, :n)",
            ExpressionAttributeNames={"#n": "n", "#m": "m"},
            ExpressionAttributeValues={":n": {"N": n}},
        )
    # Then each applied its own values (the kept expression is not changed by applying it)
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert item["n"] == {"N": "2"} and item["m"] == {"N": "1"}
    # And an expression that does not parse is refused as before
    with pytest.raises(ClientError) as bad:
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET = :n",
            ExpressionAttributeValues={":n": {"N": "1"}},
        )
    assert bad.value.response["Error"]["Code"] == "ValidationException"


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
    assert moto_glue.key_policies_as_text(local.stack.account, local.stack.region) == 0  # already text


def test_moto_has_no_cognito_resources_of_its_own_so_ours_deploy_the_templates_pool(local):
    # 17.: if an upgrade brings moto's own, ours would shadow them: this fails and says so
    from moto.cloudformation.parsing import get_model_list

    cognito = [m for m in get_model_list() if m.cloudformation_type().startswith("AWS::Cognito::")]
    assert cognito == [moto_glue.CognitoUserPoolResource, moto_glue.CognitoUserPoolClientResource]
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

    assert list(inspect.signature(moto_glue._moto_create_id_token).parameters) == [
        "self",
        "client_id",
        "username",
        "origin_jti",
    ]
    assert list(inspect.signature(moto_glue._moto_create_jwt).parameters)[:6] == [
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
    assert CognitoIdpUserPool.create_id_token is moto_glue._create_id_token
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
    assert served == moto_glue.cognito_jwks() and [k["kid"] for k in served["keys"]] == ["dummy"]
