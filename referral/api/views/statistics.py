"""Statistics through the API: the coordinators' statistics export as JSON.

The same service as the statistics page (referral.coordination.stats.export): counted by the
database, restricted cases left out, small counts suppressed by the same rule, audited.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from referral.access.permissions import Permission
from referral.access.scope import current_actor
from referral.api.problems import Problem
from referral.api.schemas import statistics as s
from referral.api.spec import operation
from referral.coordination.coordinators import regions_for
from referral.coordination.local_time import local_today
from referral.coordination.stats import export, numbers, performance
from referral.coordination.stats.export import ExportRow
from referral.models_base import utcnow
from referral.web.transaction import run_action

# A call counts every period of its range: three years by week is some 160 periods per measure.
MAX_DAYS = 3 * 366


def _row(row: ExportRow) -> s.StatisticsRow:
    suppressed = numbers.suppress(row.count) == numbers.SUPPRESSED
    return s.StatisticsRow(measure=row.measure, region=row.region, district=row.district,
                           period=row.period, dimension=row.dimension, value=row.value,
                           count=None if suppressed else row.count, suppressed=suppressed)


def _period(query: s.StatisticsQuery) -> tuple[date, date]:
    start, end = performance.default_range(local_today(utcnow()), numbers.MONTH)
    start, end = query.start or start, query.end or end
    if end < start:
        raise Problem(422, _("The request is not valid"),
                      _("The end date must not be before the start date."))
    if (end - start).days > MAX_DAYS:
        raise Problem(422, _("The request is not valid"),
                      _("Choose a period of at most three years."))
    return start, end


@operation("GET", "/statistics", summary="Suppressed statistics of the caller's regions",
           tag="statistics", query=s.StatisticsQuery, response=s.Statistics,
           permission=Permission.REFERRAL_COORDINATE)
def get_statistics(query: s.StatisticsQuery) -> s.Statistics:
    """Cases, incidents and referrals per region, district and period, as the statistics
    export gives them: any count from 1 to 4 withheld, no totals. Coordinators only."""
    actor = current_actor()
    start, end = _period(query)
    regions = regions_for(actor, query.region)
    rows = run_action(lambda: export.statistics_rows(
        actor, start=start, end=end, region_code=query.region,
        granularity=str(query.granularity), fmt="json"))
    return s.Statistics(start=start, end=end, granularity=str(query.granularity),
                        regions=regions, suppression_threshold=numbers.SUPPRESSION_THRESHOLD,
                        rows=[_row(r) for r in rows])
