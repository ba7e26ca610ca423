"""The customers in DynamoDB (the customers table): the identity that maps a (channel, id) to a customer,
the customer's profile (reach, purchases, VIP) and contact history, read as the context that scores an
inquiry."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.update import Action

from kanal.adapters.models import CustomerItem
from kanal.model import Author, Contact, CustomerContext
from kanal.times import iso, parse_iso


class CustomerStore:
    """Every read and write of customers, their identities and their contacts."""

    def find_customer(self, channel: str, identity: str) -> str | None:
        try:
            return CustomerItem.get(f"IDENT#{channel}#{identity}", "IDENT").customer_id
        except DoesNotExist:
            return None

    def link_identity(self, channel: str, author: Author, customer_id: str) -> str:
        """Map (channel, identity) to ``customer_id`` unless it is mapped already; return the customer it
        belongs to. The customer's profile is created on its first identity and never overwritten."""
        pk = f"IDENT#{channel}#{author.id}"
        try:
            CustomerItem(pk, "IDENT", customer_id=customer_id).save(
                condition=CustomerItem.pk.does_not_exist()
            )
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return str(
                CustomerItem.get(pk, "IDENT").customer_id
            )  # known already, or a concurrent first contact
        profile = CustomerItem(
            f"CUST#{customer_id}",
            "PROFILE",
            name=author.name,
            followers=author.followers,
            verified=author.verified,
            created_at=iso(datetime.now(UTC)),
        )
        try:
            profile.save(condition=CustomerItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        identity = f"{channel}:{author.id}"
        CustomerItem(f"CUST#{customer_id}", "PROFILE").update(
            actions=[CustomerItem.identities.add({identity})]
        )
        return customer_id

    def resolve_customer(self, channel: str, author: Author, new_id: str) -> str:
        """The customer behind (channel, author id); created with ``new_id`` on first contact."""
        return self.find_customer(channel, author.id) or self.link_identity(channel, author, new_id)

    def update_reach(self, customer_id: str, author: Author) -> None:
        actions: list[Action] = []
        if author.followers is not None:
            actions.append(CustomerItem.followers.set(author.followers))
        if author.verified:
            actions.append(CustomerItem.verified.set(True))
        if actions:
            CustomerItem(f"CUST#{customer_id}", "PROFILE").update(actions=actions)

    def update_value(self, customer_id: str, amount: float | None, vip: bool | None) -> None:
        actions: list[Action] = []
        if amount is not None:
            actions += [CustomerItem.purchase_count.add(1), CustomerItem.lifetime_value.add(amount)]
        if vip is not None:
            actions.append(CustomerItem.vip.set(vip))
        if actions:
            CustomerItem(f"CUST#{customer_id}", "PROFILE").update(actions=actions)

    def add_contact(self, customer_id: str, contact: Contact) -> None:
        CustomerItem(
            f"CUST#{customer_id}",
            f"CONTACT#{iso(contact.at)}#{contact.ref}",
            channel=contact.channel,
            kind=contact.kind,
            at=iso(contact.at),
            ref=contact.ref,
            inquiry_id=contact.inquiry_id,
        ).save()

    def contacts(
        self, customer_id: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Contact]:
        """The customer's contacts since ``since``, oldest first; with ``limit``, only the latest ones."""
        start = f"CONTACT#{iso(since)}" if since else "CONTACT#"
        items = CustomerItem.query(
            f"CUST#{customer_id}",
            CustomerItem.sk.between(start, "CONTACT#~"),
            scan_index_forward=limit is None,
            limit=limit,
        )
        found = [
            Contact(parse_iso(i.at or ""), i.channel or "", i.kind or "", i.ref or "", i.inquiry_id)
            for i in items
        ]
        return found if limit is None else found[::-1]

    def customer_context(self, customer_id: str, since: datetime) -> CustomerContext:
        try:
            profile = CustomerItem.get(f"CUST#{customer_id}", "PROFILE")
        except DoesNotExist:
            return CustomerContext(customer_id)
        return CustomerContext(
            customer_id=customer_id,
            vip=bool(profile.vip),
            purchase_count=int(profile.purchase_count or 0),
            lifetime_value=float(profile.lifetime_value or 0),
            followers=int(profile.followers) if profile.followers is not None else None,
            verified=bool(profile.verified),
            recent_contacts=tuple(self.contacts(customer_id, since)),
        )

    def identities_of(self, customer_id: str) -> list[tuple[str, str]]:
        """The (channel, id) identities the customer is known by (one key lookup of the profile)."""
        try:
            profile = CustomerItem.get(f"CUST#{customer_id}", "PROFILE", attributes_to_get=["identities"])
        except DoesNotExist:
            return []
        found = (value.partition(":") for value in sorted(profile.identities or ()))
        return [(channel, identity) for channel, _, identity in found if identity]
