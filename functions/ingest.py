"""SQS-triggered ingest: each record becomes (or joins) an inquiry; failed records are reported."""

from kanal.intake.batch import partial_batch
from kanal.intake.pipeline import ingest_body, register_context, warm
from kanal.observability import initialised_ahead, logger, metrics, traced

if initialised_ahead():
    warm()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context: object) -> dict:
    register_context(context)
    return partial_batch(event, ingest_body)
