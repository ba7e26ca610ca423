"""Conversation: replies on the inquiry's own channel (and, as it grows, handover, drafts and notes)."""
