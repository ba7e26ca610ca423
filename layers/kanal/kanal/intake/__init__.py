"""Intake: the webhook ack path, the ingest queue and pipeline, threading, customers across identities."""
