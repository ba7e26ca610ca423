"""The agent console as agents and leads use it: through the page's own controls, against the local stack.

Each test drives one page (signed in through the URL fragment or the local agent picker), delivers the
customer's messages as the platforms do (signed webhooks), and checks what the agent sees and what left
for the platform (the channel sandbox's outbox).
"""

from __future__ import annotations

import re

import pytest

from kanal_local.auth import mint
from tests.conftest import eventually
from tests.integration.deliveries import Ids, deliver, fixture
from tests.integration.test_replies import fresh, outbox

pytestmark = pytest.mark.browser


def offline(agent: str) -> None:
    from kanal.routing.org import AgentStatus
    from kanal.routing.wiring import routing

    routing().org.set_status(agent, AgentStatus.OFFLINE)


def row_of(page, word: str):
    return page.locator("#queue-list a", has_text=word)


def test_a_webhook_appears_in_the_queue_and_the_agent_claims_and_answers_it(console, local, http, desk):
    # Given Ana of the desk signed in, the only one of her team online
    ana = desk.agents[0]
    offline(desk.agents[1])
    page = console.page
    console.open_as(mint(ana, groups=["agents"]))
    page.locator("#queue-heading").wait_for()
    console.shot("signed-in")
    # When a Messenger message arrives
    delivery = fresh(fixture("meta/messenger_text.json", Ids()), desk.word)
    assert deliver(http, local, "meta", delivery).status_code == 200
    # Then it appears in her queue without a reload, with its channel, band and a running countdown
    row = row_of(page, desk.word)
    row.wait_for(timeout=30_000)
    page.wait_for_function(
        "word => [...document.querySelectorAll('#queue-list a')].some(a => a.textContent.includes(word)"
        " && a.textContent.includes('owner'))",
        arg=desk.word,
        timeout=30_000,
    )
    assert row.locator(".channel").get_attribute("title") == "Messenger"
    assert re.fullmatch(r"P[1-4]", row.locator(".band").inner_text())
    assert "Score" in (row.locator(".band").get_attribute("title") or "")
    sla = row.locator(".sla")
    assert sla.get_attribute("data-state") in ("ok", "warning")
    assert re.search(r"\d+:\d\d|\d+ h", sla.inner_text())
    console.shot("in-the-queue")
    # When she opens it, claims it and replies
    row.click()
    page.locator("#inquiry-title").wait_for()
    assert page.locator("#conversation .message.in").first.inner_text().count(desk.word) == 1
    assert re.search(r"24 h window: \d+ h \d\d min left", page.locator("#reply-window").inner_text())
    console.shot("opened")
    page.locator("#action-claim").click()
    page.locator("#inquiry-outcome", has_text="Claimed").wait_for()
    calls = len(outbox(local, http))
    page.locator("#reply-text").fill("Gern helfen wir Ihnen bei der Rechnung.")
    console.shot("typed")
    page.locator("#reply-send").click()
    page.locator("#inquiry-outcome", has_text="Sent.").wait_for(timeout=30_000)
    console.shot("sent")
    # Then the platform call left for the customer's Messenger conversation
    sender = delivery["entry"][0]["messaging"][0]["sender"]["id"]
    call = next(c for c in outbox(local, http)[calls:] if c["path"].endswith("/messages"))
    assert call["body"]["recipient"] == {"id": sender}
    assert call["body"]["message"]["text"] == "Gern helfen wir Ihnen bei der Rechnung."
    # And the page shows it answered: the reply in the conversation, the queue's clock stopped
    out = page.locator("#conversation .message.out")
    out.wait_for()
    assert "delivered to the platform" in out.inner_text()
    page.wait_for_function(
        "word => [...document.querySelectorAll('#queue-list a')].some(a => a.textContent.includes(word)"
        " && a.querySelector('.sla').dataset.state === 'answered')",
        arg=desk.word,
        timeout=20_000,
    )
    assert page.locator("#reply-text").input_value() == ""
    console.shot("answered")
