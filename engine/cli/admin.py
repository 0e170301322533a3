"""``flask admin …``: the operations console for the terminal (stuck, system, repair, migrate).

The CLI acts as a named administrator (``--user``, default the first active administrator), so every
repair is audited to a person like one made in the browser.
"""
from __future__ import annotations

import json
import sys

import click

from engine.access import rules as access
from engine.access import users
from engine.errors import ServiceError
from engine.ops import migration, repairs
from engine.ops import stuck as ops


def _actor(username: str | None):
    if not username:
        return repairs.system_actor()
    user = users.by_username(username)
    if user is None:
        click.echo(f"Ukjent bruker {username}", err=True)
        sys.exit(2)
    return access.actor_for(user)


def _fail(exc: ServiceError) -> None:
    click.echo(f"Feil ({exc.status}): {exc.message}", err=True)
    if exc.details:
        click.echo(json.dumps(exc.details, ensure_ascii=False), err=True)
    sys.exit(1)


@click.group("admin")
def admin_group() -> None:
    """Driftskonsoll: fastlåste saker, systemstatus, retting og migrering."""


@admin_group.command("stuck")
@click.option("--reason", default=None, help="error | overdue | idle | broken_timer | message_wait")
@click.option("--version", "process_version_id", default=None, help="Prosessversjonens id.")
@click.option("--bydel", default=None)
@click.option("--institution", default=None)
@click.option("--user", "username", default=None)
def stuck_cmd(reason, process_version_id, bydel, institution, username) -> None:
    """List fastlåste saker med årsak."""
    try:
        rows = ops.stuck_cases(_actor(username), reason, process_version_id, bydel, institution)
    except ServiceError as exc:
        _fail(exc)
    for s in rows:
        for r in s.reasons:
            since = r.since.isoformat() if r.since else "-"
            click.echo(f"{s.case.id}\t{s.case.status}\t{r.kind}\t{since}\t{r.element_id or '-'}\t{r.detail}")
    click.echo(f"{len(rows)} sak(er)")


@admin_group.command("system")
@click.option("--user", "username", default=None)
def system_cmd(username) -> None:
    """Systemstatus som JSON."""
    try:
        click.echo(json.dumps(ops.system_panel(_actor(username)), ensure_ascii=False, indent=2))
    except ServiceError as exc:
        _fail(exc)


@admin_group.command("repair")
@click.argument("case_id", type=int)
@click.argument("action", type=click.Choice(repairs.ACTIONS))
@click.option("--reason", required=True, help="Hvorfor saken rettes (lagres i tidslinjen).")
@click.option("--data", default=None, help="JSON-objekt med data som rettes.")
@click.option("--task", "task_id", default=None)
@click.option("--timer", default=None, help="Tidtakerens oppgave-id, element-id eller fristnøkkel.")
@click.option("--due-at", default=None, help="Nytt tidspunkt (ISO 8601 med tidssone).")
@click.option("--element", "element_id", default=None, help="Element å flytte saken tilbake til.")
@click.option("--user", "username", default=None)
def repair_cmd(case_id, action, reason, data, task_id, timer, due_at, element_id, username) -> None:
    """Rett en sak: retry, edit_data, fire_timer, reschedule_timer, suspend, resume, terminate, move_token."""
    try:
        body = {"reason": reason, "data": json.loads(data) if data else None, "task_id": task_id,
                "timer": timer, "due_at": due_at, "element_id": element_id}
    except ValueError:
        click.echo("--data må være gyldig JSON", err=True)
        sys.exit(2)
    try:
        case = repairs.repair(_actor(username), case_id, action, body)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Sak {case.id}: {case.status} (versjon {case.version})")


@admin_group.command("migrate")
@click.argument("from_version_id", type=int)
@click.argument("to_version_id", type=int)
@click.option("--dry-run", is_flag=True, help="Bare vis hvilke saker som kan flyttes.")
@click.option("--reason", default=None)
def migrate_cmd(from_version_id, to_version_id, dry_run, reason) -> None:
    """Flytt løpende saker fra én prosessversjon til en annen."""
    def progress(done: int, total: int) -> None:
        click.echo(f"[{done}/{total}]", err=True)
    try:
        report = migration.migrate(None, from_version_id, to_version_id, dry_run, reason, progress)
    except ServiceError as exc:
        _fail(exc)
    for c in report.cases:
        state = "flyttet" if c.migrated else ("kan flyttes" if c.can_migrate else "kan ikke flyttes")
        click.echo(f"{c.case_id}\t{state}\t{'; '.join(c.reasons)}")
    d = report.to_dict()
    click.echo(f"{d['total']} sak(er), {d['can_migrate']} kan flyttes, {d['migrated']} flyttet")
