"""The coordinator's figures, counted by the database and never showing a family.

- ``numbers``: the definitions (percentiles, rates, periods, small-number suppression), pure;
- ``sql``: the same definitions as SQL building blocks, and which rows count;
- ``month_rows``: agency performance added up from the month rows PostgreSQL keeps;
- ``performance``, ``coverage``, ``export``: the three services the pages call;
- ``cache``: figures of a region kept for a few minutes.
"""
