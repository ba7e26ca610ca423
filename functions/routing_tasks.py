"""The routing state machine's Lambda tasks: `route`, `await_response`, `deadline`, `failed`."""

from typing import Any

from kanal.observability import initialised_ahead, logger, metrics, traced
from kanal.routing.wiring import check, tasks

check()  # cold start: configuration checked
if initialised_ahead():
    tasks()  # tables bound, clients created before the first task arrives


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    task, inquiry_id = event["task"], event["inquiry_id"]
    logger.append_keys(inquiry_id=inquiry_id, task=task)
    if task == "route":
        return tasks().route(inquiry_id).as_output()
    if task == "await_response":
        tasks().await_response(inquiry_id, event["task_token"], int(event["version"]))
        return {}
    if task == "deadline":
        return tasks().deadline(inquiry_id).as_output()
    if task == "failed":  # {"error": its name only, "state"}: never the error's message
        tasks().failed(inquiry_id, str(event["error"]), str(event["state"]))
        return {}
    raise ValueError(f"unknown routing task {task}")
