"""SES receipt notifications (SNS): each received e-mail becomes an ingest record."""

from typing import Any

from kanal.intake.email import ses_records, sns_notification
from kanal.intake.ingest_queue import queue
from kanal.observability import initialised_ahead, logger, metrics, traced

if initialised_ahead():
    queue()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: object) -> dict:
    # the SNS event: Records[].Sns.Message (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html)
    messages = [record["Sns"]["Message"] for record in event.get("Records") or []]
    records = [r for message in messages for r in ses_records(sns_notification(message))]
    queue().send(records)
    logger.info("inbound e-mail queued", extra={"records": len(records)})
    return {"accepted": len(records)}
