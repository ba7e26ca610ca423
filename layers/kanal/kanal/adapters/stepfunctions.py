"""The routing workflow adapter: one Step Functions execution per inquiry, named after it."""

from __future__ import annotations

import json
from typing import Any

from kanal.observability import logger


class StepFunctionsWorkflow:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn

    def start(self, inquiry_id: str, name: str | None = None) -> str:
        """Start the inquiry's execution, named after it (a reopened inquiry's next one: ``name``); a second
        start of the same name finds the first one."""
        name = name or inquiry_id
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps({"inquiry_id": inquiry_id}),
            )
        except self.client.exceptions.ExecutionAlreadyExists:
            logger.info("routing already started", extra={"inquiry_id": inquiry_id})
            return self.execution_arn(name)
        return str(response["executionArn"])

    def execution_arn(self, name: str) -> str:
        prefix, machine = self.state_machine_arn.rsplit(":stateMachine:", 1)
        return f"{prefix}:execution:{machine}:{name}"


class TaskReleaser:
    """Completes a waiting `.waitForTaskToken` task with an output (SendTaskSuccess)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def release(self, token: str, output: dict[str, Any]) -> bool:
        try:
            self.client.send_task_success(taskToken=token, output=json.dumps(output))
        except (
            self.client.exceptions.TaskDoesNotExist,
            self.client.exceptions.TaskTimedOut,
            self.client.exceptions.InvalidToken,
        ) as error:
            logger.info("wait over already", extra={"error_type": type(error).__name__})
            return False
        return True
