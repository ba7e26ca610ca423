"""`GET /local/metrics`: what the stack would have put into CloudWatch, counted where the runtime sees it.

Locally metrics are off (`POWERTOOLS_METRICS_DISABLED`: nothing reads the EMF lines), so the sink records
each `add_metric` of Kanal's one powertools `Metrics` (namespace and the `service` dimension as the EMF
document would carry them), and counts what AWS would emit itself: Lambda `Invocations` and `Errors` per
function name as the dispatcher runs handlers, the dead-letter and ingest queues' visible messages from
the emulator, and the routing state machine's executions by status (`ExecutionsFailed`, ...).
"""

from __future__ import annotations

import threading
from typing import Any

STATES = {"FAILED": "ExecutionsFailed", "TIMED_OUT": "ExecutionsTimedOut", "ABORTED": "ExecutionsAborted"}


class MetricsSink:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._custom: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}

    def install(self) -> None:
        """Record each metric a handler adds to `kanal.observability.metrics` (one object in-process)."""
        from kanal.observability import metrics

        if getattr(metrics.add_metric, "recorded_locally", False):
            return
        add = metrics.add_metric

        def record(name: str, unit: Any, value: float, *args: Any, **kwargs: Any) -> Any:
            key = (metrics.namespace or "", name, (("service", str(metrics.service)),))
            with self._lock:
                self._custom[key] = self._custom.get(key, 0.0) + float(value)
            return add(name, unit, value, *args, **kwargs)

        record.recorded_locally = True  # type: ignore[attr-defined]
        metrics.add_metric = record  # type: ignore[method-assign]

    def items(self, stack: Any) -> list[dict[str, Any]]:
        with self._lock:
            found = [_item(ns, name, dict(dims), value) for (ns, name, dims), value in self._custom.items()]
        dispatcher = stack.dispatcher
        for logical_id, function in dispatcher.by_logical_id.items():
            dims = {"FunctionName": function.name}
            found.append(_item("AWS/Lambda", "Invocations", dims, dispatcher.invocations.get(logical_id, 0)))
            found.append(_item("AWS/Lambda", "Errors", dims, dispatcher.errors.get(logical_id, 0)))
            found.append(_item("AWS/Lambda", "Throttles", dims, 0))  # the local runtime never throttles
        sqs = stack.client("sqs")
        for url in sqs.list_queues().get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )
            visible = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
            found.append(
                _item(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": url.rsplit("/", 1)[1]},
                    visible,
                )
            )
        stepfunctions = stack.client("stepfunctions")
        for machine in stepfunctions.list_state_machines()["stateMachines"]:
            arn = machine["stateMachineArn"]
            for status, name in STATES.items():
                pages = stepfunctions.get_paginator("list_executions").paginate(
                    stateMachineArn=arn, statusFilter=status
                )
                count = sum(len(page["executions"]) for page in pages)
                found.append(_item("AWS/States", name, {"StateMachineArn": arn}, count))
        return found


def _item(namespace: str, name: str, dimensions: dict[str, str], value: float) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "dimensions": dimensions, "value": value}
