"""Help: a short guide per role, the emergency numbers, and the guide shown once at first login."""
