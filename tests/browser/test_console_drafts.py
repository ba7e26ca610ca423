"""Drafts and approval in the console: the owner of an urgent public comment and an approver of PR and
marketing (the seeded team `pr`, lead mira) at their own browsers, through the page's own controls.

The default approval policy is in force: a public reply to a P1 inquiry needs team pr's approval. What
left for the platform is read in the channel sandbox's outbox.
"""

from __future__ import annotations

import pytest

from tests import tokens
from tests.conftest import eventually
from tests.integration.test_replies import outbox, routed_to_owner

pytestmark = pytest.mark.browser

FIRST = "Das ist unser Fehler, wir erstatten Ihnen alles."
COMMENT = "Bitte kein Schuldeingeständnis: bitten Sie um eine Nachricht."
REVISED = "Das tut uns leid! Schreiben Sie uns bitte eine Nachricht, wir klären es heute."


def test_a_public_reply_to_an_urgent_comment_goes_out_once_pr_approves_its_revised_draft(
    console, second_console, local, http, admin_headers, urgent
):
    # Given a public Facebook comment of band P1, routed to an agent of the desk, open on their page
    inquiry, _ = routed_to_owner(
        local, http, admin_headers, urgent, "meta/page_feed_comment_add.json", "facebook"
    )
    assert inquiry["priority"]["band"] == "P1" and inquiry["visibility"] == "public", inquiry["priority"]
    owner = inquiry["assignee"]
    page = console.page
    console.expected.append(r"status of 409")  # the replies route's answer, which the page explains
    console.open_as(tokens.token(owner, groups=["agents"]))
    page.locator("#queue-list a", has_text=urgent.word).click()
    page.locator("#inquiry-title").wait_for()
    calls = len(outbox(local, http))
    console.shot("opened")

    # When the owner types a public reply and sends it
    page.locator("#reply-text").fill(FIRST)
    assert page.locator("#reply-visibility input:checked").get_attribute("value") == "public"
    page.locator("#reply-send").click()
    # Then the page says it needs the approval of PR and marketing, nothing left, and the text is kept
    notice = page.locator("#reply-approval")
    notice.wait_for()
    assert "PR and marketing" in notice.inner_text() and "nothing was sent" in notice.inner_text()
    assert page.locator("#reply-text").input_value() == FIRST
    assert len(outbox(local, http)) == calls
    assert page.evaluate("() => document.activeElement.id") == "reply-draft"  # Save as draft, next
    console.shot("needs-approval")

    # When they save it as a draft, with the keyboard
    page.keyboard.press("Enter")
    page.locator("#inquiry-outcome", has_text="team PR and marketing is asked").wait_for()
    draft = page.locator("#drafts li.draft")
    draft.locator('.draft-status[data-status="pending"]', has_text="waiting for approval").wait_for()
    # Then it waits for pr's approval, with the owner's text, and still nothing left
    assert draft.locator(".draft-body").inner_text() == FIRST
    assert "approval by team PR and marketing" in draft.inner_text()
    assert draft.get_by_role("button", name="Approve and send").count() == 0  # not the author's to approve
    assert page.locator("#reply-text").input_value() == "" and page.locator("#reply-approval").is_hidden()
    assert len(outbox(local, http)) == calls
    console.shot("draft-pending")

    # When mira of pr (another team) signs in at her browser and opens it from her notice's link
    told = eventually(
        lambda: [
            n
            for n in http.get(f"{local.url}/local/notifications").json()["items"]
            if n["kind"] == "approval_requested"
            and n["inquiry_id"] == inquiry["id"]
            and n["recipient"] == "mira"
        ]
    )
    link = told[0]["text"].rsplit("#", 1)[1].split()[0]
    assert link == f"/inquiries/{inquiry['id']}", link
    mira = second_console.page
    second_console.open_as(tokens.token("mira"))
    mira.locator("#queue-heading").wait_for()
    mira.goto(f"{local.url}/#{link}")
    pending = mira.locator("#drafts li.draft")
    pending.locator('.draft-status[data-status="pending"]', has_text="wartet auf Freigabe").wait_for()
    assert pending.locator("textarea").input_value() == FIRST
    second_console.shot("approver-opened")
    # and rejects it without a comment: the page asks for one, and nothing changed
    pending.get_by_role("button", name="Ablehnen").click()
    mira.locator("#inquiry-outcome", has_text="Bitte schreiben Sie einen Kommentar").wait_for()
    why = pending.get_by_label("Kommentar für die Verfasserin oder den Verfasser")
    assert why.get_attribute("aria-invalid") == "true"
    assert mira.evaluate("() => document.activeElement.classList.contains('draft-comment')")
    (kept,) = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=admin_headers).json()["drafts"]
    assert kept["status"] == "pending" and [h["action"] for h in kept["history"]] == ["created"]
    second_console.shot("comment-required")
    # and then with one
    why.fill(COMMENT)
    pending.get_by_role("button", name="Ablehnen").click()
    mira.locator("#inquiry-outcome", has_text="Entwurf abgelehnt").wait_for()
    pending.locator('.draft-status[data-status="rejected"]', has_text="abgelehnt").wait_for()
    assert pending.locator("textarea").count() == 0  # the author's to revise now
    second_console.shot("rejected")

    # Then the owner's page shows who rejected it and why, and offers to revise it
    rejection = draft.locator(".draft-rejection")
    rejection.wait_for(timeout=20_000)
    assert rejection.inner_text().startswith("Rejected by mira:")
    assert rejection.locator("q").inner_text() == COMMENT
    assert len(outbox(local, http)) == calls
    console.shot("owner-sees-rejection")
    # When the owner revises the text and submits it again
    draft.get_by_label("Draft text").fill(REVISED)
    draft.get_by_role("button", name="Save and submit again").click()
    page.locator("#inquiry-outcome", has_text="submitted again to team PR and marketing").wait_for()
    draft.locator('.draft-status[data-status="pending"]', has_text="waiting for approval").wait_for()
    assert draft.locator(".draft-body").inner_text() == REVISED
    console.shot("resubmitted")

    # When mira sees the revised draft and approves it
    approve = pending.get_by_role("button", name="Freigeben und senden")
    approve.wait_for(timeout=20_000)
    assert pending.locator("textarea").input_value() == REVISED
    approve.click()
    mira.locator("#inquiry-outcome", has_text="Freigegeben und gesendet").wait_for(timeout=30_000)
    pending.locator('.draft-status[data-status="published"]', has_text="gesendet").wait_for()
    second_console.shot("approved")

    # Then exactly one platform call left, answering the comment with the revised text
    after = outbox(local, http)[calls:]
    assert len(after) == 1, after
    assert after[0]["path"].endswith(f"/{inquiry['external_id']}/comments")
    assert REVISED in str(after[0]["body"]) and "erstatten" not in str(after[0]["body"])
    # And the owner's page shows the reply sent and the draft's history, who did what and when
    sent = page.locator("#conversation .message.out", has_text=REVISED)
    sent.wait_for(timeout=20_000)
    assert "delivered to the platform" in sent.inner_text()
    draft.locator('.draft-status[data-status="published"]', has_text="sent").wait_for()
    lines = draft.locator(".draft-history li")
    assert lines.evaluate_all("ls => ls.map(l => l.dataset.action)") == [
        "created",
        "rejected",
        "edited",
        "submitted",
        "approved",
        "published",
    ]
    texts = lines.all_inner_texts()
    assert f"{owner} wrote it" in texts[0] and "mira rejected it" in texts[1] and COMMENT in texts[1]
    assert f"{owner} submitted it for approval" in texts[3] and "mira approved it" in texts[4]
    assert all(line.locator("time").get_attribute("datetime") for line in lines.all())
    assert draft.locator("textarea").count() == 0 and draft.get_by_role("button").count() == 0
    console.shot("sent-with-history")


def test_a_draft_that_needs_no_approval_is_sent_by_its_author_and_its_markup_stays_text(
    console, local, http, admin_headers, desk
):
    # Given a public Facebook comment of the desk that is not urgent: its reply needs no approval
    inquiry, _ = routed_to_owner(
        local, http, admin_headers, desk, "meta/page_feed_comment_add.json", "facebook"
    )
    assert inquiry["priority"]["band"] in ("P3", "P4"), inquiry["priority"]
    page = console.page
    console.open_as(tokens.token(inquiry["assignee"], groups=["agents"]))
    page.locator("#queue-list a", has_text=desk.word).click()
    page.locator("#inquiry-title").wait_for()
    calls = len(outbox(local, http))
    # When its owner saves a reply with markup in it as a draft
    markup = "<img src=x onerror=alert(1)> Danke, <b>wir</b> kümmern uns."
    page.locator("#reply-text").fill(markup)
    page.locator("#reply-draft").click()
    page.locator("#inquiry-outcome", has_text="it needs no approval").wait_for()
    draft = page.locator("#drafts li.draft")
    draft.locator('.draft-status[data-status="draft"]', has_text="draft").wait_for()
    console.shot("draft")
    # Then it reads as written, nothing of it became an element, and nothing left yet
    assert draft.get_by_label("Draft text").input_value() == markup
    assert page.locator("#drafts img, #drafts b").count() == 0
    assert draft.get_by_role("button", name="Reject").count() == 0
    assert len(outbox(local, http)) == calls
    # When the author sends it
    draft.get_by_role("button", name="Send").click()
    page.locator("#inquiry-outcome", has_text="Sent.").wait_for(timeout=30_000)
    draft.locator('.draft-status[data-status="published"]', has_text="sent").wait_for()
    console.shot("sent")
    # Then one call left with the text as written, and the history says the author sent it
    after = outbox(local, http)[calls:]
    assert len(after) == 1 and markup in str(after[0]["body"]), after
    assert draft.locator(".draft-body").inner_text() == markup
    actions = draft.locator(".draft-history li").evaluate_all("ls => ls.map(l => l.dataset.action)")
    assert actions == ["created", "sent", "published"]
    assert page.locator("#main img, #main b").count() == 0 and console.dialogs == []
