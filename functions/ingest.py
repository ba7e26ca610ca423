"""SQS-triggered ingest: each record becomes (or joins) an inquiry; failed records are reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from kanal.intake.pipeline import ingest_body, register_context, warm
from kanal.observability import initialised_ahead, logger, metrics, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

processor = BatchProcessor(event_type=EventType.SQS)

if initialised_ahead():
    warm()


def record_handler(record: SQSRecord) -> None:
    ingest_body(record.body)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    register_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
