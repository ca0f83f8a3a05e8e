"""flask backup / flask restore (docs/operations.md, "Backups and restore")."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from referral.backup import service
from referral.backup.checksum import ChecksumError
from referral.backup.crypto import BackupKeyError, parse_key
from referral.backup.engines import BackupError
from referral.documents.storage import current_store

FAILURES = (BackupError, ChecksumError, BackupKeyError)


def _key(required: bool) -> bytes | None:
    text = current_app.config.get("BACKUP_KEY") or ""
    if not text:
        if required:
            raise click.ClickException("--encrypt needs a key: set REFERRAL_BACKUP_KEY to 32 "
                                       "random bytes in base64 (`openssl rand -base64 32`)")
        return None
    try:
        return parse_key(text)
    except BackupKeyError as err:
        raise click.ClickException(str(err)) from None


@click.command("backup")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="folder for the backup (default: BACKUP_DIR, else "
                                 "<instance>/backups)")
@click.option("--encrypt", is_flag=True, help="encrypt with BACKUP_KEY (AES-256-GCM)")
@with_appcontext
def backup_command(out_dir: Path | None, encrypt: bool) -> None:
    """Back the database up to a file named with the UTC time, a .sha256 file beside it."""
    folder = out_dir or Path(current_app.config.get("BACKUP_DIR")
                             or Path(current_app.instance_path) / "backups")
    key = _key(required=True) if encrypt else None
    _record("database.backup", {"encrypted": encrypt})  # in the backup itself: who copied all
    try:
        made = service.make_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], folder, key=key,
                                   documents=current_store())
    except FAILURES as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"backup written: {made.path} ({made.size:,} bytes"
               f"{', encrypted' if made.encrypted else ''})")
    click.echo(f"checksum: {made.checksum_path}")
    if made.documents is not None:
        click.echo(f"documents: {made.documents} ({made.document_count:,} files; they open "
                   f"only with REFERRAL_DOCUMENTS_KEY, which is not in the backup)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", default=None,
              help="database URL to restore into (default: the configured database)")
@click.option("--yes", is_flag=True, help="replace what a non-empty target database holds")
@with_appcontext
def restore_command(file: Path, into: str | None, yes: bool) -> None:
    """Restore a backup (checksum checked first), then verify the audit chain and count rows;
    exits non-zero when the chain does not verify."""
    from referral.config import normalise_database_url

    target = normalise_database_url(into or current_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        files = service.restore(file, target, key=_key(required=False), replace=yes,
                                documents=current_store())
    except FAILURES as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"restored {file.name}")
    if files:
        click.echo(f"restored {files:,} document files into the documents store")
    for name, count in service.table_counts(target).items():
        click.echo(f"  {name:40} {count:>12,}")
    report, behind = verify_restored(target)
    if behind:
        click.echo(behind)
    if not report.ok:
        where = (f"row id {report.first_broken_id}" if report.first_broken_id is not None
                 else f"its end, after {report.rows_checked} rows")
        click.echo(f"audit chain BROKEN at {where}: {report.reason}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {report.rows_checked} rows")


def _record(action: str, details: dict) -> None:
    """An audit row for a copy or a replacement of every case, committed on its own."""
    from referral.access.scope import acting_as, system_actor
    from referral.audit import service as audit
    from referral.extensions import db

    with acting_as(system_actor(f"flask {action}")):
        audit.record(action, outcome="success", details=details)
        db.session.commit()


def verify_restored(target: str):  # noqa: ANN201 - (ChainReport, str)
    """The audit chain of the restored database, walked by the app's own verification on an
    app bound to it (the restore then recorded in it); and a note when its migrations are
    behind the code."""
    from referral.audit.verify import default_workers, verify_chain
    from referral.backup.upgrade import revisions
    from referral.extensions import db

    config = dict(current_app.config)
    config.update(SQLALCHEMY_DATABASE_URI=target, CHECK_MIGRATIONS=False)
    app = current_app.extensions["referral.create_app"](config)
    current, heads = revisions(app)
    with app.app_context():
        try:
            report = verify_chain(workers=default_workers())
            if report.ok and current == heads:  # an older schema is left as it was restored
                _record("database.restore", {})
        finally:
            db.session.remove()
            db.engine.dispose()
    behind = ""
    if current != heads:
        behind = (f"note: the restored database is at {', '.join(current) or 'no revision'}, "
                  f"this code expects {', '.join(heads)}: run `flask db upgrade` before starting")
    return report, behind


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
