"""Survivor safety between incidents: safety plans and the risk re-assessment schedule."""
