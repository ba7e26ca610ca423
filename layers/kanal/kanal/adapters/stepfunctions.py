"""The routing workflow adapter: one Step Functions execution per inquiry, named after it."""

from __future__ import annotations

import json
from typing import Any

from kanal.observability import logger


class StepFunctionsWorkflow:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn

    def start(self, inquiry_id: str) -> str:
        """Start the inquiry's execution; a second start of the same inquiry finds the first one."""
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=inquiry_id,
                input=json.dumps({"inquiry_id": inquiry_id}),
            )
        except self.client.exceptions.ExecutionAlreadyExists:
            logger.info("routing already started", extra={"inquiry_id": inquiry_id})
            return self.execution_arn(inquiry_id)
        return str(response["executionArn"])

    def execution_arn(self, inquiry_id: str) -> str:
        prefix, name = self.state_machine_arn.rsplit(":stateMachine:", 1)
        return f"{prefix}:execution:{name}:{inquiry_id}"
