"""Backup, restore and the upgrade check (docs/operations.md is the operator's side).

``flask backup`` writes the database (``pg_dump -Fc``, or SQLite's online backup API) to a
file named with the UTC time, a ``.sha256`` file beside it, optionally encrypted
(``crypto.py``). ``flask restore`` refuses a file whose checksum is missing or wrong, restores
into a database given or configured, then verifies the audit chain and counts rows.
``upgrade.py`` stops the web app starting against a database behind the code's migrations.
"""
