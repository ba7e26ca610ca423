"""Contact events from a hotline, CRM or shop ("customer X called / e-mailed / ordered")."""

from aws_lambda_powertools.logging import correlation_paths

from kanal.adapters.secrets import CONTACT_EVENTS_SECRET, secret
from kanal.channels import platform
from kanal.intake.webhook_app import Request, WebhookApp, enqueue_delivery
from kanal.observability import logger, metrics

app = WebhookApp()
platform("contact-events")  # cold start: the one splitter this function needs, not the other platforms


@app.post("/webhooks/contact-events")
def delivery(request: Request) -> dict[str, int]:
    return enqueue_delivery(request, "contact-events", secret(CONTACT_EVENTS_SECRET))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
