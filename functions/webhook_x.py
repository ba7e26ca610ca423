"""X Account Activity webhooks: the CRC check and deliveries."""

from aws_lambda_powertools.logging import correlation_paths

from kanal.adapters.secrets import X_CONSUMER_SECRET, secret
from kanal.channels import platform
from kanal.channels.signatures import x_crc_response
from kanal.intake.webhook_app import Request, WebhookApp, enqueue_delivery
from kanal.observability import logger, metrics

app = WebhookApp()
platform("x")  # cold start: the one splitter this function needs, not the other platforms


@app.get("/webhooks/x")
def crc(request: Request) -> dict:
    return x_crc_response(request.query.get("crc_token") or "", secret(X_CONSUMER_SECRET))


@app.post("/webhooks/x")
def delivery(request: Request) -> dict[str, int]:
    return enqueue_delivery(request, "x", secret(X_CONSUMER_SECRET))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
