"""Routing: agents and teams, assignment, the SLA clock and escalation tiers (the state machine's tasks)."""
