"""Platform secrets (app secrets, verify tokens) from AWS Secrets Manager, cached by powertools.

Each secret is named ``<prefix>/<name>`` (e.g. ``kanal/meta-app-secret``). The local stack creates the
same secrets in its emulator from the ``KANAL_*`` environment variables, so the same code reads them.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from kanal.config import config

CACHE_SECONDS = 300

META_APP_SECRET = "meta-app-secret"
META_VERIFY_TOKEN = "meta-verify-token"
X_CONSUMER_SECRET = "x-consumer-secret"
CONTACT_EVENTS_SECRET = "contact-events-secret"


def secret(name: str) -> str:
    value = parameters.get_secret(f"{config().secrets_prefix}/{name}", max_age=CACHE_SECONDS)
    return value if isinstance(value, str) else value.decode("utf-8")
