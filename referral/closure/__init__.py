"""Closing a case safely: the closure checklist, the manager's sign-off and the close guard."""
