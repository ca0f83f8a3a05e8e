"""Retention: personal data of closed cases removed after a configured period, unless a legal
hold keeps the case as it is (issue 22)."""
