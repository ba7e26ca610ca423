"""Kanal's store in DynamoDB: one store per aggregate, and their union for a caller whose work spans them.

- ``InquiryStore`` (``inquiry_store``): inquiries, their open-inquiry markers, task tokens and queue pages;
- ``MessageStore`` (``message_store``): an inquiry's messages, internal notes and draft replies;
- ``CustomerStore`` (``customer_store``): customers, their identities, profiles and contacts.

A caller declares the methods it uses as a Protocol and is given the narrowest of these that has them
(the drafts: ``MessageStore``; the drafts API: ``InquiryStore``); intake, routing, the queue, replies,
handover and the work API read and write across aggregates, so they take ``DynamoStore``.
Queries and key lookups only: never a Scan.
"""

from __future__ import annotations

from kanal.adapters.customer_store import CustomerStore
from kanal.adapters.inquiry_store import InquiryStore
from kanal.adapters.message_store import MessageStore


class DynamoStore(InquiryStore, MessageStore, CustomerStore):
    """Every aggregate's reads and writes (the union of the three stores; no methods of its own)."""
