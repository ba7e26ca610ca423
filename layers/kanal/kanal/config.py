"""Configuration from the environment, checked once at cold start.

A function that needs a setting declares it by reading the matching property; a missing variable fails
loudly (``ConfigError``) instead of running with a silent default.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cache


class ConfigError(RuntimeError):
    """A required environment variable is missing, or a variable's value is not valid."""


@dataclass(frozen=True)
class Config:
    environ: dict[str, str]

    def require(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise ConfigError(f"environment variable {name} is required")
        return value

    @property
    def region(self) -> str:
        return self.environ.get("AWS_REGION") or self.require("AWS_DEFAULT_REGION")

    @property
    def inquiries_table(self) -> str:
        return self.require("KANAL_INQUIRIES_TABLE")

    @property
    def messages_table(self) -> str:
        return self.require("KANAL_MESSAGES_TABLE")

    @property
    def customers_table(self) -> str:
        return self.require("KANAL_CUSTOMERS_TABLE")

    @property
    def organisation_table(self) -> str:
        return self.require("KANAL_ORGANISATION_TABLE")

    @property
    def user_pool_id(self) -> str:
        """The Cognito user pool agents sign in to (the agent API creates and disables its users)."""
        return self.require("KANAL_USER_POOL_ID")

    @property
    def reports_table(self) -> str:
        """Pre-aggregated report counters (arrivals per group and hour)."""
        return self.require("KANAL_REPORTS_TABLE")

    @property
    def console_url(self) -> str:
        """Where notifications link to (the agent console)."""
        return self.environ.get("KANAL_CONSOLE_URL") or "http://127.0.0.1:8787"

    @property
    def idempotency_table(self) -> str:
        return self.require("KANAL_IDEMPOTENCY_TABLE")

    @property
    def ingest_queue_url(self) -> str:
        return self.require("KANAL_INGEST_QUEUE_URL")

    @property
    def routing_state_machine_arn(self) -> str:
        return self.require("KANAL_ROUTING_STATE_MACHINE_ARN")

    @property
    def notifications_topic_arn(self) -> str:
        return self.require("KANAL_NOTIFICATIONS_TOPIC_ARN")

    @property
    def rules_parameter(self) -> str:
        return self.require("KANAL_RULES_PARAMETER")

    @property
    def secrets_prefix(self) -> str:
        return self.require("KANAL_SECRETS_PREFIX")

    @property
    def time_scale(self) -> float:
        """How many times shorter every SLA, warning and escalation delay is: 1 in AWS, more on a local
        stack (`kanal local --time-scale N`) so that waits of hours pass in minutes."""
        raw = self.environ.get("KANAL_TIME_SCALE")
        if not raw:
            return 1.0
        try:
            scale = float(raw)
        except ValueError:
            raise ConfigError("KANAL_TIME_SCALE must be a number >= 1") from None
        if not math.isfinite(scale) or scale < 1:
            raise ConfigError("KANAL_TIME_SCALE must be a number >= 1")
        return scale

    @property
    def graph_base_url(self) -> str:
        """The Graph API with its version, e.g. https://graph.facebook.com/v26.0 (the sandbox locally)."""
        return self.require("KANAL_GRAPH_BASE_URL").rstrip("/")

    @property
    def x_base_url(self) -> str:
        """The X API, e.g. https://api.x.com (the sandbox locally); paths start with /2/."""
        return self.require("KANAL_X_BASE_URL").rstrip("/")

    @property
    def x_reply_policy(self) -> str:
        """``self-serve`` (an X app may reply only to posts that @mention or quote the account) or
        ``enterprise`` (no such restriction)."""
        policy = self.environ.get("KANAL_X_REPLY_POLICY") or "self-serve"
        if policy not in ("self-serve", "enterprise"):
            raise ConfigError("KANAL_X_REPLY_POLICY must be self-serve or enterprise")
        return policy

    @property
    def channel_retry_seconds(self) -> float:
        """How long a reply may wait in all between attempts (5xx, 429, throttling) before it fails."""
        raw = self.environ.get("KANAL_CHANNEL_RETRY_SECONDS") or "20"
        try:
            seconds = float(raw)
        except ValueError:
            raise ConfigError("KANAL_CHANNEL_RETRY_SECONDS must be a number of seconds >= 0") from None
        if not math.isfinite(seconds) or seconds < 0:
            raise ConfigError("KANAL_CHANNEL_RETRY_SECONDS must be a number of seconds >= 0")
        return seconds

    @property
    def mail_from(self) -> str | None:
        """The company address a handover's e-mail comes from (``MailFromAddress``, an SES identity whose
        mail SES also receives into Kanal); None: no e-mail is sent where the customer did not write one."""
        value = (self.environ.get("KANAL_MAIL_FROM") or "").strip()
        if value and "@" not in value:
            raise ConfigError("KANAL_MAIL_FROM must be an e-mail address")
        return value or None

    @property
    def meta_app_id(self) -> str | None:
        """Kanal's own Meta app id (``MetaAppId``): a handover to it hands the conversation to Kanal."""
        return _app_id(self.environ, "KANAL_META_APP_ID")

    @property
    def meta_bot_app_id(self) -> str | None:
        """The company's bot's Meta app id (``MetaBotAppId``); None: no bot answers first. Setting it
        needs ``MetaAppId`` too: without Kanal's own id no handover can be told apart."""
        bot = _app_id(self.environ, "KANAL_META_BOT_APP_ID")
        if bot is not None and self.meta_app_id is None:
            raise ConfigError("KANAL_META_BOT_APP_ID needs KANAL_META_APP_ID (Kanal's own Meta app id)")
        if bot is not None and bot == self.meta_app_id:
            raise ConfigError("KANAL_META_BOT_APP_ID must be another app than KANAL_META_APP_ID")
        return bot

    @property
    def max_webhook_body_bytes(self) -> int:
        return int(self.environ.get("KANAL_MAX_WEBHOOK_BODY_BYTES", str(1024 * 1024)))

    @property
    def escalation_parameter(self) -> str | None:
        """The SSM parameter of the escalation tiers; None: the shipped default."""
        return self.environ.get("KANAL_ESCALATION_PARAMETER") or None

    @property
    def approval_parameter(self) -> str | None:
        """The SSM parameter of the approval policy; None: the shipped default."""
        return self.environ.get("KANAL_APPROVAL_PARAMETER") or None

    @property
    def documents_cache_seconds(self) -> int:
        """How long a stored document (rules, escalation tiers, approval policy) is kept before it is read
        again (``RulesCacheSeconds``)."""
        raw = self.environ.get("KANAL_RULES_CACHE_SECONDS") or "60"
        try:
            seconds = int(raw)
        except ValueError:
            raise ConfigError("KANAL_RULES_CACHE_SECONDS must be a whole number of seconds >= 0") from None
        if seconds < 0:
            raise ConfigError("KANAL_RULES_CACHE_SECONDS must be a whole number of seconds >= 0")
        return seconds

    @property
    def xray_sdk(self) -> bool:
        """Whether handlers run under the X-Ray SDK's tracer (``XRaySdk``)."""
        return self.environ.get("KANAL_XRAY_SDK", "").strip().lower() == "true"

    @property
    def initialization_type(self) -> str:
        """How Lambda initialises this environment (``on-demand``, ``provisioned-concurrency``,
        ``snap-start``); empty outside Lambda."""
        return self.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "")

    @property
    def function_name(self) -> str:
        """This Lambda function's name (``test-func`` outside Lambda, as powertools names it)."""
        return self.environ.get("AWS_LAMBDA_FUNCTION_NAME", "test-func")


def _app_id(environ: dict[str, str], name: str) -> str | None:
    """A Meta app id (digits) from the environment; None when unset or empty."""
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ConfigError(f"{name} must be a Meta app id (digits only)")
    return value


@cache
def config() -> Config:
    return Config(dict(os.environ))


def load(*required: str) -> Config:
    """The configuration, failing at once if any of ``required`` (property names) is missing."""
    current = config()
    for name in required:
        getattr(current, name)
    return current
