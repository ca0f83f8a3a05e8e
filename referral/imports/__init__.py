"""Bulk import of the directory and of users from a CSV or XLSX file.

A dry run first, then all or nothing.
"""
