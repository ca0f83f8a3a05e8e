"""Coordinator workspace: overdue review, case conferences, coverage and statistics."""
