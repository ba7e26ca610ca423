"""Figures and aggregates: the arrival counters and the staffing forecast."""
