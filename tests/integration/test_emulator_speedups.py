"""What only makes the emulator faster (emulator/speedups.py): each fails here, loudly, if an upgrade moves
it, or if a speed-up changes what a call answers."""

from __future__ import annotations

import json
import uuid

from moto.sqs.models import Queue

from kanal_local.emulator import speedups


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
        for serializer in (JSONSerializer, speedups.DynamoDBSerializer):
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
    original = speedups._moto_all_items
    monkeypatch.setattr(speedups, "_moto_all_items", lambda t: whole_table.append(t.name) or original(t))

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


def test_the_speedups_are_on_unless_the_variable_turns_them_off():
    assert speedups.wanted({}) and speedups.wanted({"KANAL_EMULATOR_SPEEDUPS": "on"})
    assert not any(speedups.wanted({"KANAL_EMULATOR_SPEEDUPS": v}) for v in ("off", "0", "false", "No"))


def test_the_speedups_come_off_and_back_on_and_the_stack_answers_alike(local):
    from moto.dynamodb.models.table import Table

    from kanal_local.emulator import needs

    dynamodb, table = local.stack.client("dynamodb"), local.stack.environment["KANAL_ORGANISATION_TABLE"]
    key = {"pk": {"S": f"GLUE#{uuid.uuid4().hex}"}, "sk": {"S": "PROFILE"}}
    dynamodb.put_item(TableName=table, Item={**key, "n": {"N": "1"}})
    assert speedups.active() and local.stack.emulator_speedups  # the session's stack runs with them
    # When they are taken out
    speedups.uninstall()
    try:
        # Then moto's own code is back, and the stack answers the same from it
        assert not speedups.active() and Table.query is speedups._moto_table_query
        assert ("sqs", "SendMessageBatch") not in needs.shortcuts
        off = dynamodb.query(
            TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": key["pk"]}
        )["Items"]
    finally:
        speedups.install()
    # And put back, they are in place again
    assert speedups.active() and Table.query is speedups._table_query
    on = dynamodb.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": key["pk"]}
    )["Items"]
    assert off == on == [{**key, "n": {"N": "1"}}]
