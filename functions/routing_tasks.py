"""The routing state machine's Lambda tasks: `score`, `await_response`, `escalate`."""

from functools import cache
from typing import Any

import boto3

from kanal.adapters.dynamo import DynamoStore
from kanal.adapters.models import bind
from kanal.adapters.rules import current_rules
from kanal.adapters.sns import SnsNotifier
from kanal.config import load
from kanal.observability import logger, metrics, tracer
from kanal.routing.tasks import Routing

config = load("inquiries_table", "customers_table", "notifications_topic_arn", "rules_parameter")
bind(config)


@cache
def routing() -> Routing:
    return Routing(
        DynamoStore(), current_rules, SnsNotifier(boto3.client("sns"), config.notifications_topic_arn)
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    task, inquiry_id = event["task"], event["inquiry_id"]
    logger.append_keys(inquiry_id=inquiry_id, task=task)
    if task == "score":
        return routing().score(inquiry_id).as_output()
    if task == "await_response":
        routing().await_response(inquiry_id, event["task_token"])
        return {}
    if task == "escalate":
        return routing().escalate(inquiry_id, int(event.get("tier", 0))).as_output()
    raise ValueError(f"unknown routing task {task}")
