"""What the agent API reads and does: the caller, queries, views and the HTTP error mapping."""
