"""SES receipt notifications (SNS): each received e-mail becomes an ingest record."""

from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from kanal.intake.email import ses_records, sns_notification
from kanal.intake.webhook_app import queue
from kanal.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: object) -> dict:
    records = [r for sns in event.records for r in ses_records(sns_notification(sns.sns.message))]
    queue().send(records)
    logger.info("inbound e-mail queued", extra={"records": len(records)})
    return {"accepted": len(records)}
