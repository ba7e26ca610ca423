"""Meta webhooks (Facebook page, Messenger, Instagram, WhatsApp): handshake and deliveries."""

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths

from kanal.adapters.secrets import META_APP_SECRET, META_VERIFY_TOKEN, secret
from kanal.channels.signatures import meta_handshake
from kanal.intake.webhook_app import enqueue_delivery, resolver
from kanal.observability import logger, metrics

app = resolver()


@app.get("/webhooks/meta")
def handshake() -> Response[str]:
    challenge = meta_handshake(app.current_event.query_string_parameters or {}, secret(META_VERIFY_TOKEN))
    return Response(200, content_types.TEXT_PLAIN, challenge)


@app.post("/webhooks/meta")
def delivery() -> dict[str, int]:
    return enqueue_delivery(app, "meta", secret(META_APP_SECRET))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
