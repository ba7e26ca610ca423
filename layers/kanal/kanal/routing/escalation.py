"""What each escalation tier does when the SLA clock reaches it (``Tasks.deadline`` fires it).

When a tier fires is the policy's (``escalation.json``, a company's own in Parameter Store, read by
``policy.py``; the clock in ``clock.py``). What happens then is here:

- the warning (``warning_share`` of the window): the owner hears the deadline is near; an inquiry nobody
  owns has its team's lead told that it waits in the queue;
- a tier with ``reroute``: the inquiry goes to the next best agent of its team, never its owner of the
  moment (nobody eligible: it stays where it is);
- every tier then tells its recipients on the tier's ``protocols`` (e-mail, SMS): the entry of the team's
  ``escalation_chain`` for this tier if the team has one, else the tier's ``notify`` list, where ``lead``
  is the team's lead (the on-call ops contact when the team has none), ``owner`` the owner before and after
  a reroute, ``ops`` the on-call ops contact, and any other name an agent id;
- the escalation (tier, time, who was told) is recorded on the inquiry; a tier with ``breached`` marks the
  inquiry breached (the clock does, as it fires the tier).
"""

from __future__ import annotations

from datetime import datetime

from kanal.adapters.items import escalation_json
from kanal.adapters.models import InquiryItem
from kanal.model import Escalation, Inquiry
from kanal.observability import logger
from kanal.routing.assign import Assigner
from kanal.routing.notices import compose
from kanal.routing.policy import Tier
from kanal.routing.roster import OPS, Team


class Escalator:
    def __init__(self, assigner: Assigner) -> None:
        self.assigner = assigner

    def warn(self, inquiry: Inquiry) -> None:
        """The deadline is near: the owner hears it, or the team's lead when nobody owns the inquiry."""
        org, notifier = self.assigner.org, self.assigner.notifier
        if inquiry.assignee:
            agent = org.get_agent(inquiry.assignee)
            if agent is not None:
                notifier.notify(
                    compose("warning", inquiry, agent.id, agent.language, self.assigner.console_url)
                )
                return
        self.assigner.tell_lead(inquiry)

    def escalate(self, inquiry: Inquiry, tier: Tier, number: int, now: datetime) -> Inquiry:
        """Tier ``number`` (from 1) of the policy fires on the inquiry."""
        assigner = self.assigner
        team = assigner.team_of(inquiry)
        previous = inquiry.assignee
        if tier.reroute and team is not None:
            moved = assigner.best(
                inquiry, team, assigner.needs(inquiry), exclude=[previous] if previous else []
            )
            if moved is not None:
                inquiry = assigner.inquiry(inquiry.id)
        told = self.recipients(inquiry, tier, number, team, previous)
        for recipient, language in told:
            notice = compose(
                "escalation",
                inquiry,
                recipient,
                language,
                assigner.console_url,
                tuple(tier.protocols),
                number,
            )
            assigner.notifier.notify(notice)
        escalation = Escalation(number, now, tuple(r for r, _ in told))
        logger.info("inquiry escalated", extra={"inquiry_id": inquiry.id, "tier": number})
        return assigner.store.change(
            inquiry.id,
            lambda item: [
                InquiryItem.escalations.set([*(item.escalations or []), escalation_json(escalation)])
            ],
        )

    def recipients(
        self, inquiry: Inquiry, tier: Tier, number: int, team: Team | None, previous: str | None
    ) -> list[tuple[str, str]]:
        """(recipient id, language) of everyone a tier tells; a team's escalation chain names them itself."""
        names: list[str] = []
        chain = team.escalation_chain if team else ()
        for who in [chain[number - 1]] if len(chain) >= number else tier.notify:
            if who == "lead":
                names += [team.lead] if team and team.lead else [OPS]
            elif who == "owner":
                names += [n for n in (inquiry.assignee, previous) if n]
            else:
                names.append(who)
        org = self.assigner.org
        told: list[tuple[str, str]] = []
        for name in dict.fromkeys(names):
            if name == OPS:
                contacts = org.oncall()
                told += [(OPS, contacts[0].language if contacts else "en")]
                continue
            agent = org.get_agent(name)
            if agent is not None:
                told.append((agent.id, agent.language))
        return told
