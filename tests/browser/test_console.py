"""The agent console as agents and leads use it: through the page's own controls, against the local stack.

Each test drives one page (signed in through the URL fragment or the local agent picker), delivers the
customer's messages as the platforms do (signed webhooks), and checks what the agent sees and what left
for the platform (the channel sandbox's outbox).
"""

from __future__ import annotations

import re

import pytest

from tests import tokens
from tests.conftest import eventually
from tests.integration.deliveries import Ids, deliver, fixture
from tests.integration.test_replies import fresh, outbox

pytestmark = pytest.mark.browser


def offline(agent: str) -> None:
    from kanal.routing.roster import AgentStatus
    from kanal.routing.wiring import assigner

    assigner().org.set_status(agent, AgentStatus.OFFLINE)


def row_of(page, word: str):
    return page.locator("#queue-list a", has_text=word)


def test_a_webhook_appears_in_the_queue_and_the_agent_claims_and_answers_it(console, local, http, desk):
    # Given Ana of the desk signed in, the only one of her team online
    ana = desk.agents[0]
    offline(desk.agents[1])
    page = console.page
    console.open_as(tokens.token(ana, groups=["agents"]))
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


def test_customer_text_that_looks_like_html_is_shown_as_text(console, local, http, desk):
    # Given a customer who writes markup with a script in an event handler
    markup = "<img src=x onerror=alert(1)>"
    delivery = fresh(fixture("meta/messenger_text.json", Ids()), desk.word)
    delivery["entry"][0]["messaging"][0]["message"]["text"] = f"{markup} {desk.word} <b>bold</b>"
    assert deliver(http, local, "meta", delivery).status_code == 200
    # When the admin signs in with the local agent picker and opens it
    page = console.page
    page.goto(f"{local.url}/")
    page.locator("button[data-agent='admin']").click()
    row = row_of(page, desk.word)
    row.wait_for(timeout=30_000)
    console.shot("queue")
    row.click()
    message = page.locator("#conversation .message.in .text").first
    message.wait_for()
    console.shot("opened")
    # Then the markup reads as the customer wrote it, and nothing of it became an element or ran
    assert message.inner_text() == f"{markup} {desk.word} <b>bold</b>"
    assert markup in row.inner_text()
    assert page.locator("#main img, #main b").count() == 0
    assert console.dialogs == []


@pytest.mark.sla_minutes(1)
def test_a_lead_sees_the_breached_inquiry_of_their_team_first(console, local, http, admin_headers, desk):
    # Given two inquiries of the lead's team: a WhatsApp one whose one-minute SLA (a second here) passes
    # unanswered until it is breached, and a Messenger one still on time
    late = fresh(fixture("meta/whatsapp_text.json", Ids()), desk.word)
    assert deliver(http, local, "meta", late).status_code == 200
    on_time = fresh(fixture("meta/messenger_text.json", Ids()), desk.word)
    assert deliver(http, local, "meta", on_time).status_code == 200

    def breached_and_other():
        page = http.get(
            f"{local.url}/api/inquiries", params={"team": desk.team}, headers=admin_headers
        ).json()
        flags = sorted(i["breached"] for i in page["items"])
        return flags == [False, True]

    eventually(breached_and_other, timeout=40, interval=0.5)
    # When the lead signs in and opens the team view with the keyboard
    page = console.page
    console.open_as(tokens.token(desk.lead, groups=["agents", "leads"]))
    page.locator("#nav-team").focus()
    page.keyboard.press("Enter")
    first = page.locator("#team-inquiries tr[data-id]").first
    first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#team-inquiries tr[data-id]').length === 2")
    console.shot("team")
    # Then the breached WhatsApp inquiry is first, marked, with its clock in red
    assert first.get_attribute("data-breached") == "true"
    assert first.locator(".channel").get_attribute("title") == "WhatsApp"
    assert "breached" in first.inner_text()
    assert first.locator(".sla").get_attribute("data-state") == "breached"
    second = page.locator("#team-inquiries tr[data-id]").nth(1)
    assert second.get_attribute("data-breached") == "false"
    # ahead of the more urgent band, which the queue's own ranking (band, then due) puts first
    assert (first.locator(".band").inner_text(), second.locator(".band").inner_text()) == ("P4", "P3")
    # And the team's agents with their status and caseload
    agents = page.locator("#team-agents tr[data-agent]")
    assert sorted(agents.evaluate_all("rows => rows.map(r => r.dataset.agent)")) == sorted(desk.agents)
    assert re.fullmatch(r"\d+ / 3", agents.first.locator("td").nth(3).inner_text())


def test_german_is_remembered_and_an_expired_session_goes_back_to_sign_in(console, local):
    page = console.page
    # Given an agent signed in with the picker, by keyboard alone
    page.goto(f"{local.url}/")
    page.locator("button[data-agent='jonas']").wait_for()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.dataset.agent || document.activeElement.id")
    assert focused  # the focus is on a control, not lost
    page.locator("button[data-agent='jonas']").focus()
    page.keyboard.press("Enter")
    page.locator("#queue-heading").wait_for()
    # When they choose German
    page.locator("#language").select_option("de")
    page.locator("#queue-heading", has_text="Warteschlange").wait_for()
    console.shot("german")
    # Then it stays German after a reload
    page.reload()
    page.locator("#queue-heading", has_text="Warteschlange").wait_for()
    assert page.locator("#sign-out").inner_text() == "Abmelden"
    # When the API refuses the token (forged, as a revoked one is refused) and the refresh token is no
    # longer good either (as after a sign-out everywhere)
    console.expected.append(r"status of 401")
    forged = tokens.token("jonas").rsplit(".", 1)[0] + ".forged"
    page.evaluate("token => sessionStorage.setItem('kanal.token', token)", forged)
    page.evaluate("() => sessionStorage.setItem('kanal.refresh', 'revoked')")
    page.locator("#filter-band").select_option("P1")
    # Then the agent is back at sign-in, told why, in their language
    page.locator(".signin .notice", has_text="abgelaufen").wait_for()
    console.shot("expired")
    assert page.evaluate("() => sessionStorage.getItem('kanal.token')") is None
    assert page.locator("#bar").is_hidden()
    # And signing out of a fresh session leaves nothing behind
    page.locator("button[data-agent='jonas']").click()
    page.locator("#sign-out").click()
    page.locator(".signin").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('kanal.token')") is None


def test_an_hour_later_the_console_renews_the_token_silently(console, local):
    # Given Jonas signed in through the sign-in page (an ID token for an hour, and a refresh token)
    page = console.page
    page.goto(f"{local.url}/#/signin")
    page.locator("button[data-agent='jonas']").click()
    page.locator("#queue-heading").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('kanal.refresh')")
    # When the hour has passed (his ID token expired) and he comes back to the page
    stale = tokens.expired("jonas")
    page.evaluate("token => sessionStorage.setItem('kanal.token', token)", stale)
    page.reload()
    # Then he is still in his queue, on a new token for him that the API takes
    page.locator("#queue-heading").wait_for()
    console.shot("renewed")
    renewed = page.evaluate("() => sessionStorage.getItem('kanal.token')")
    assert renewed != stale and tokens.claims(renewed)["kanal:agent_id"] == "jonas"
    assert local.stack.sign_in.verify(renewed) is not None
    # And when the API answers 401 to a token that looked fine (expired on the way), one refresh and a
    # retry answer the call: the agent sees no sign-in page
    console.expected.append(r"status of 401")
    foreign = tokens.foreign("jonas")
    page.evaluate("token => sessionStorage.setItem('kanal.token', token)", foreign)
    page.locator("#filter-band").select_option("P1")
    page.wait_for_function("foreign => sessionStorage.getItem('kanal.token') !== foreign", arg=foreign)
    console.shot("retried")
    assert page.locator("#bar").is_visible() and page.locator(".signin").count() == 0


def test_the_agent_hands_a_public_comment_over_to_a_private_chat_and_the_answer_joins_it(
    console, local, http, desk
):
    from kanal_local.sandbox import private_reply_recipient
    from tests.integration.test_handover import dm_from

    # Given Ana signed in, and a customer's public Facebook comment routed to her
    ana = desk.agents[0]
    offline(desk.agents[1])
    page = console.page
    console.open_as(tokens.token(ana, groups=["agents"]))
    comment = fresh(fixture("meta/page_feed_comment_add.json", Ids()), desk.word)
    assert deliver(http, local, "meta", comment).status_code == 200
    row = row_of(page, desk.word)
    row.wait_for(timeout=30_000)
    row.click()
    page.locator("#action-claim").click()
    page.locator("#inquiry-outcome", has_text="Claimed").wait_for()
    console.shot("public")
    # When she hands it over to a private chat from the page
    page.locator("#action-handover").click()
    page.locator("#inquiry-outcome", has_text="Handed over").wait_for(timeout=30_000)
    page.locator("#conversation .message.out.private").wait_for()
    console.shot("handed-over")
    # Then the private reply and the short public answer are in the conversation, marked as such
    marks = page.locator("#conversation .message").evaluate_all(
        "ms => ms.map(m => [m.dataset.direction, m.dataset.visibility, m.querySelector('.channel').title])"
    )
    assert marks == [
        ["in", "public", "Facebook"],
        ["out", "private", "Messenger"],
        ["out", "public", "Facebook"],
    ]
    # When the customer answers privately, in Messenger
    comment_id = comment["entry"][0]["changes"][0]["value"]["comment_id"]
    answer = dm_from("meta/messenger_text.json", private_reply_recipient(comment_id), desk.word)
    answer["entry"][0]["messaging"][0]["message"]["text"] = f"Hier privat meine Rechnungsnummer {desk.word}"
    assert deliver(http, local, "meta", answer).status_code == 200
    # Then it appears in the same conversation on the open page, as the private half
    joined = page.locator("#conversation .message.in.private", has_text="meine Rechnungsnummer")
    joined.wait_for(timeout=30_000)
    assert joined.locator(".channel").get_attribute("title") == "Messenger"
    assert page.locator("#conversation .message").count() == 4
    console.shot("private-answer")


def test_an_email_whose_sender_is_not_verified_carries_a_badge_in_the_queue_and_the_detail(
    console, local, http, desk
):
    # Given a mail "from" a customer's address that failed DMARC, with the desk's word
    from tests.integration.test_email import _raw, _receive

    raw, _ = _raw(f"jana.vogt.{desk.word}@example.de", f"Neue Bankverbindung {desk.word}")
    assert _receive(local, http, raw, spf="FAIL", dkim="FAIL", dmarc="FAIL").status_code == 200
    # When the admin signs in
    page = console.page
    page.goto(f"{local.url}/")
    page.locator("button[data-agent='admin']").click()
    row = row_of(page, desk.word)
    row.wait_for(timeout=30_000)
    # Then its queue row says the sender is unverified
    badge = row.locator("[data-role='unverified']")
    badge.wait_for()
    assert badge.inner_text() == "unverified sender"
    console.shot("queue")
    # And so does its detail
    row.click()
    page.locator("#inquiry-unverified").wait_for()
    assert page.locator("#inquiry-unverified").inner_text() == "unverified sender"
    console.shot("opened")
