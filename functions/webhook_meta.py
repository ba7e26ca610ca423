"""Meta webhooks (Facebook page, Messenger, Instagram, WhatsApp): handshake and deliveries."""

from aws_lambda_powertools.logging import correlation_paths

from kanal.adapters.secrets import META_APP_SECRET, META_VERIFY_TOKEN, secret
from kanal.channels import platform
from kanal.channels.signatures import meta_handshake
from kanal.intake.webhook_app import Request, Text, WebhookApp, enqueue_delivery
from kanal.observability import logger, metrics

app = WebhookApp()
platform("meta")  # cold start: the one splitter this function needs, not the other platforms


@app.get("/webhooks/meta")
def handshake(request: Request) -> Text:
    return Text(meta_handshake(request.query, secret(META_VERIFY_TOKEN)))


@app.post("/webhooks/meta")
def delivery(request: Request) -> dict[str, int]:
    return enqueue_delivery(request, "meta", secret(META_APP_SECRET))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
