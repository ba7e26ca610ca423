"""Conversation ownership's composition for the agent API: passing a resolved conversation back to the bot.

The API never hands held messages over (ingest does), so its ``ThreadRouting`` has no workflow to start.
"""

from __future__ import annotations

from functools import cache

from kanal.adapters.store import DynamoStore
from kanal.adapters.threads import ThreadStore
from kanal.channels.outbound.clients import thread_control_api
from kanal.config import config
from kanal.intake.threads import Apps, ThreadRouting
from kanal.model import Inquiry


class _NoWorkflow:
    def start(self, inquiry_id: str) -> str:
        raise RuntimeError("the agent API does not start routing for held messages")

    def followed_up(self, inquiry_id: str) -> None:
        raise RuntimeError("the agent API does not hand held messages over")


@cache
def thread_routing() -> ThreadRouting:
    settings = config()
    apps = Apps(kanal=settings.meta_app_id, bot=settings.meta_bot_app_id)
    return ThreadRouting(DynamoStore(), ThreadStore(), apps, thread_control_api, _NoWorkflow())


def hand_back(inquiry: Inquiry) -> Inquiry:
    """After a resolve: pass the conversation back to the bot when Kanal owns it (see ThreadRouting)."""
    return thread_routing().hand_back(inquiry)
