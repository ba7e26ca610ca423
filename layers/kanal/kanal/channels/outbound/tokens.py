"""Access tokens per company account, from one JSON secret in Secrets Manager.

``meta-page-tokens`` maps a Facebook Page id, an Instagram account id or a WhatsApp phone number id to the
token that may act for it; ``x-tokens`` maps an X user id to its OAuth 2.0 user-context token. A ``"*"``
entry serves every account without one of its own (one system-user token for all Pages, say). Secrets are
read through ``kanal.adapters.secrets`` (cached for five minutes), so a rotated token is picked up within
that time.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from kanal.channels.outbound import DeliveryFailed

META_PAGE_TOKENS = "meta-page-tokens"
X_TOKENS = "x-tokens"
FALLBACK = "*"


class Tokens:
    def __init__(self, secret_name: str, read: Callable[[str], str]) -> None:
        self.secret_name = secret_name
        self.read = read

    def __call__(self, account_id: str) -> str:
        """The token for ``account_id`` (else the ``"*"`` entry); DeliveryFailed when there is none."""
        try:
            mapping = json.loads(self.read(self.secret_name))
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict):
            raise DeliveryFailed(
                f"the secret {self.secret_name} must be a JSON object of account id to token",
                code="token_secret_invalid",
            )
        token = mapping.get(account_id) or mapping.get(FALLBACK)
        if not isinstance(token, str) or not token:
            raise DeliveryFailed(
                f'the secret {self.secret_name} has no token for account {account_id} and no "*" entry',
                code="no_token",
            )
        return token
