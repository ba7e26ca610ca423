"""Two-way SMS: AWS End User Messaging SMS publishes each inbound SMS to a topic; an agent's reply to a
notification SMS claims the inquiry or passes it on."""

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from kanal.observability import logger, metrics, tracer
from kanal.routing.wiring import routing

routing()  # cold start: configuration checked, tables bound


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: object) -> dict[str, int]:
    handled = 0
    for record in event.records:
        try:
            inbound: dict[str, Any] = json.loads(record.sns.message)
            phone, text = str(inbound["originationNumber"]), str(inbound["messageBody"])
        except (ValueError, KeyError, TypeError) as error:
            logger.warning(
                "inbound SMS not in the documented shape", extra={"error_type": type(error).__name__}
            )
            continue
        outcome = routing().sms_reply(phone, text)
        logger.info("inbound SMS", extra={"outcome": outcome})
        handled += 1
    return {"handled": handled}
