"""`python -m bot privacy ...`: data subject requests, retention and the audit log from a terminal
(the admins' page /privacy does the same on the web). Every command that looks at or changes a
person's data writes an audit entry as `cli:<os user>`."""
from __future__ import annotations

import csv
import getpass
import json
import sys
from pathlib import Path
from typing import Callable, Optional, Tuple

import click

from bot.desk.store import DeskStore, utcnow
from bot.privacy import audit, export, requests as subject_requests, retention, subjects
from bot.privacy.audit import Actor
from bot.settings import get_settings


@click.group(help="Personal data (KVKK): requests from a data subject, retention, the audit log. See docs/privacy.md.")
def privacy() -> None:
    pass


def _store() -> DeskStore:
    return DeskStore.open(get_settings().store_database_url)


def _actor() -> Actor:
    return Actor(name=f"cli:{getpass.getuser()}", role="admin")


def identifier_options(command: Callable) -> Callable:
    for option in reversed((
        click.option("--email", help="The person's e-mail address."),
        click.option("--phone", help="The person's phone number (any spelling)."),
        click.option("--customer", help="The store's customer number."),
    )):
        command = option(command)
    return command


def _identifier(email: Optional[str], phone: Optional[str], customer: Optional[str]) -> Tuple[str, str]:
    given = [(kind, value) for kind, value in (("email", email), ("phone", phone), ("customer", customer)) if value]
    if len(given) != 1:
        raise click.UsageError("Give exactly one of --email, --phone, --customer.")
    try:
        subjects.check_identifier(*given[0])
    except subjects.BadIdentifier as error:
        raise click.UsageError(str(error))
    return given[0]


def _open_and_answer(kind: str, identifier: Tuple[str, str], note: str, reason: Optional[str]):
    store, now, actor = _store(), utcnow(), _actor()
    with store.session() as s:
        try:
            created = subject_requests.open_request(s, kind, *identifier, now, get_settings().privacy_request_days, note)
            result = subject_requests.answer(s, created["id"], actor.name, now, get_settings().state_dir)
        except subject_requests.RequestError as error:
            raise click.ClickException(str(error))
    audit.record(store.session, actor, "export" if kind == "access" else "erase",
                 customer_id=result.request["customer_id"], subject=f"request:{created['id']}", reason=reason)
    return result


@privacy.command("find", help="Show how much the product holds about a person (counts only; audited).")
@identifier_options
def find(email: Optional[str], phone: Optional[str], customer: Optional[str]) -> None:
    store = _store()
    with store.session() as s:
        try:
            found = subject_requests.holdings(s, subjects.find(s, *_identifier(email, phone, customer)))
        except subjects.BadIdentifier as error:
            raise click.ClickException(str(error))
    audit.record(store.session, _actor(), "search", customer_id=found["customer_id"])
    click.echo(json.dumps(found, ensure_ascii=False, indent=2))


@privacy.command("export", help="Answer an access request: write the person's data as JSON and HTML.")
@identifier_options
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--note", default="export (terminal)", help="How the request arrived (kept with the request).")
@click.option("--reason", help="Why, for the audit log.")
def export_command(email, phone, customer, folder: Path, note: str, reason: Optional[str]) -> None:
    result = _open_and_answer("access", _identifier(email, phone, customer), note, reason)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"kisisel-veriler-{result.request['id']}"
    stem.with_suffix(".json").write_text(json.dumps(result.document, ensure_ascii=False, indent=2), encoding="utf-8")
    stem.with_suffix(".html").write_text(export.render_html(result.document), encoding="utf-8")
    click.echo(f"Request {result.request['id']} answered: {stem}.json and {stem}.html")


@privacy.command("erase", help="Answer an erasure request: remove the person's chats and identifiers everywhere.")
@identifier_options
@click.option("--note", default="erasure (terminal)", help="How the request arrived (kept with the request).")
@click.option("--reason", help="Why, for the audit log.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email, phone, customer, note: str, reason: Optional[str], yes: bool) -> None:
    identifier = _identifier(email, phone, customer)
    if not yes:
        click.confirm(f"Erase everything about {identifier[1]}? This cannot be undone "
                      "(order and invoice records are kept as the law requires).", abort=True)
    result = _open_and_answer("erasure", identifier, note, reason)
    click.echo(f"Request {result.request['id']} answered. Destroyed: "
               + (", ".join(f"{k} {v}" for k, v in sorted(result.destroyed.items())) or "nothing was held"))


@privacy.command("requests", help="List requests: open ones first with their deadline.")
@click.option("--open-only", is_flag=True)
def list_requests(open_only: bool) -> None:
    now = utcnow()
    with _store().session() as s:
        rows = subject_requests.requests(s, now, include_answered=not open_only)
    for r in rows:
        due = f"due {r['due_at'][:10]} ({r['days_left']} days left{', OVERDUE' if r['overdue'] else ''})" \
            if r["status"] == "open" else f"{r['status']} {(r['answered_at'] or '')[:10]} by {r['answered_by']}"
        click.echo(f"#{r['id']:<5} {r['kind']:<8} {r['identifier_kind']}={r['identifier']:<30} {due}")
    if not rows:
        click.echo("No requests.")


@privacy.command("retention", help="Anonymise what is past its retention period now (the bridge also runs this daily).")
def retention_command() -> None:
    settings = get_settings()
    periods = retention.Periods.from_settings(settings)
    with _store().session() as s:
        record = retention.run_retention(s, periods, utcnow(), _actor().name)
        summary = dict(record.counts) if record else None
    click.echo(f"Anonymised: {summary}" if summary else "Nothing had expired.")


@privacy.command("audit", help="Print or export the audit log (who looked at whose data).")
@click.option("--customer", type=int, help="Only entries about this customer number.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output.")
def audit_command(customer: Optional[int], as_csv: bool) -> None:
    store = _store()
    with store.session() as s:
        entries = audit.entries(s, customer_id=customer, limit=100000)
    audit.record(store.session, _actor(), "read_audit", customer_id=customer)
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=audit.COLUMNS)
        writer.writeheader()
        writer.writerows(audit.spreadsheet_safe(entries))
        return
    for e in entries:
        click.echo(f"{e['at']}  {e['actor']:<16} {e['action']:<16} customer={e['customer_id']} {e['subject'] or ''} "
                   f"{e['reason'] or ''}")
