"""flask retention run [--dry-run] [--now ISO]: the daily purge, by hand (cron, a check)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from referral.retention import policy, service
from referral.web.transaction import run_action

retention_cli = AppGroup("retention", help="Retention: purge personal data of old closed cases.")


def _moment(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise click.BadParameter(f"{raw!r} is not an ISO date or time",
                                 param_hint="--now") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
@click.option("--now", "now_text", default=None,
              help="Act as if it were this moment (ISO 8601, UTC unless it says): a check.")
def run(dry_run: bool, now_text: str | None) -> None:
    """Purge (or with --dry-run list) the personal data of cases closed longer ago than their
    retention period, leaving cases under a legal hold alone. Prints references and counts."""
    try:
        kinds = policy.kinds()
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    result = service.run(now=_moment(now_text), dry_run=dry_run, commit=run_action)
    click.echo("periods (months): " + ", ".join(f"{k.code}={k.months}" for k in kinds))
    for row in result.cases:
        counts = result.purged.get(row.case_id, {}) if not dry_run else row.counts
        detail = ", ".join(f"{code}={n}" for code, n in sorted(counts.items())) or "nothing left"
        click.echo(f"{row.reference}\t{detail}")
    verb = "would purge" if dry_run else "purged"
    total = len(result.cases) if dry_run else len(result.purged)
    click.echo(f"{verb} {total} case(s)")


def register(app: Flask) -> None:
    app.cli.add_command(retention_cli)
