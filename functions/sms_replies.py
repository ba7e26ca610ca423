"""Two-way SMS: AWS End User Messaging SMS publishes each inbound SMS to a topic; an agent's reply to a
notification SMS claims the inquiry or passes it on."""

import json
from typing import Any

from kanal.observability import initialised_ahead, logger, metrics, traced
from kanal.routing.wiring import check, events

check()  # cold start: configuration checked
if initialised_ahead():
    events()  # tables bound, clients created before the first SMS arrives


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, int]:
    handled = 0
    # the SNS event: Records[].Sns.Message (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html)
    for record in event.get("Records") or []:
        try:
            inbound: dict[str, Any] = json.loads(record["Sns"]["Message"])
            phone, text = str(inbound["originationNumber"]), str(inbound["messageBody"])
        except (ValueError, KeyError, TypeError) as error:
            logger.warning(
                "inbound SMS not in the documented shape", extra={"error_type": type(error).__name__}
            )
            continue
        outcome = events().sms_reply(phone, text)
        logger.info("inbound SMS", extra={"outcome": outcome})
        handled += 1
    return {"handled": handled}
