"""`python -m bot ...`: the project's command line (documented in README.md)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import click

from bot.settings import PROJECT_ROOT, get_settings


@click.group(help="Kuzey Destek: run, train, validate and evaluate the support assistant.")
def main() -> None:
    pass


@main.command(help="Seed the store database from data/demo_store.json (safe to re-run); --history adds eight "
                   "weeks of demo conversations, handoffs, ratings and tickets (once).")
@click.option("--reset", is_flag=True, help="Drop the demo rows and resolve the dates again from now.")
@click.option("--history", is_flag=True, help="Also add the demo history ending today (marked demo-…; added once).")
@click.option("--remove", is_flag=True, help="With --history: remove the demo history instead (the shop stays).")
def seed(reset: bool, history: bool = False, remove: bool = False) -> None:
    from actions.store.database import make_engine
    from actions.store.seed import seed as seed_store
    from actions.store.types import shop_local

    if remove and not history:
        raise click.UsageError("--remove removes the demo history: use it as --history --remove")
    settings = get_settings()
    if remove:
        _remove_history(settings)
        return
    report = seed_store(make_engine(settings.store_database_url), reset=reset)
    counts = ", ".join(f"{table} {count}" for table, count in report.counts.items())
    click.echo(f"Store database ready ({shop_local(report.anchor):%Y-%m-%d %H:%M} Istanbul anchor): {counts}")
    if history:
        _prepare_desk(settings)
        _add_history(settings)


def _add_history(settings) -> None:
    """Adds the demo history (bot/demo_history/) and says what it added and how to remove it."""
    from actions.store.database import engine_for
    from bot.demo_history.history import HistoryError, add_history

    try:
        report = add_history(engine_for(settings.store_database_url), settings)
    except HistoryError as error:
        raise click.ClickException(f"No demo history added: {error}")
    if not report.added:
        click.echo(f"Demo history not added again: {report.reason} ({report.anchor:%Y-%m-%d}). "
                   "Remove it with: python -m bot seed --history --remove")
        return
    counts = report.counts
    click.echo(f"Demo history added: {len(report.days) // 7} weeks to {report.days[-1].day}, {counts['contacts']} conversations "
               f"(ids demo-…), {counts['handoffs']} handoffs, {counts['tickets']} tickets, {counts['ratings']} ratings. "
               "Start clean with: .venv/bin/python -m bot seed --history --remove")


def _remove_history(settings) -> None:
    from actions.store.database import engine_for
    from bot.demo_history.history import remove_history

    counts = remove_history(engine_for(settings.store_database_url))
    removed = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
    click.echo(f"Demo history removed ({removed or 'nothing was there'}); `make run` will not add it again.")


@main.command(help="Write an Alembic migration for changed models (the store's, or with --desk the desk's).")
@click.argument("message")
@click.option("--desk", is_flag=True, help="For bot/desk/models.py instead of actions/store/models.py.")
def new_migration(message: str, desk: bool) -> None:
    from actions.store.migrate import MIGRATIONS_DIR, new_migration as write_migration
    from bot.desk.store import MIGRATIONS as DESK_MIGRATIONS

    write_migration(message, DESK_MIGRATIONS if desk else MIGRATIONS_DIR)


@main.command(help="Check the FAQ knowledge base (data/faq/) and explain any mistakes.")
def kb_check() -> None:
    from bot import knowledge
    from bot.training import FAQ_DIR

    kb = knowledge.load(FAQ_DIR)
    for problem in kb.problems:
        click.echo(f"HATA  {problem}", err=True)
    if kb.problems:
        raise click.ClickException(f"Bilgi bankasında {len(kb.problems)} sorun var; düzeltip tekrar deneyin.")
    questions = sum(len(t.questions["tr"]) + len(t.questions["en"]) for t in kb.topics)
    click.echo(f"Bilgi bankası geçerli: {len(kb.topics)} konu, {questions} soru varyantı.")


@main.command(help="Write Rasa's files derived from the knowledge base into build/rasa/.")
def generate() -> None:
    from bot.training import BUILD_DIR, prepare

    _kb_or_exit(prepare)
    click.echo(f"Generated Rasa inputs in {BUILD_DIR.relative_to(PROJECT_ROOT)}/")


@main.command(help="Train the model unless one for the current data and config exists.")
@click.option("--force", is_flag=True, help="Train even if an up-to-date model exists.")
def train(force: bool) -> None:
    from bot.training import train as train_model

    path = _kb_or_exit(lambda: train_model(get_settings(), force=force))
    click.echo(f"Model: {path.relative_to(PROJECT_ROOT)}")


@main.command(help="Validate the knowledge base and Rasa's training data and domain.")
def validate() -> None:
    from bot.training import prepare, rasa_command, rasa_env

    inputs = _kb_or_exit(prepare)
    command = rasa_command(
        "data", "validate", "--fail-on-warnings", "--config", str(inputs.config),
        "--domain", str(inputs.domain), "--data", str(inputs.nlu), *map(str, inputs.dialogue),
    )
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(get_settings()))
    if result.returncode:
        raise click.ClickException("rasa data validate found problems (see above).")
    click.echo("Training data and domain are valid.")


@main.command(help="Run the action server in the foreground.")
def actions() -> None:
    from bot.processes import action_server
    from bot.training import rasa_env

    settings = get_settings()
    sys.exit(subprocess.call(action_server(settings).command, cwd=PROJECT_ROOT, env=rasa_env(settings)))


@main.command(help="Seed, train if needed, start Rasa, the action server and the bridge, and wait (Ctrl+C stops all).")
@click.option("--rasa", "replicas", type=click.IntRange(min=1), default=None,
              help="Rasa replicas on RASA_PORT, RASA_PORT+1, ... (default RASA_REPLICAS, 1).")
@click.option("--bridges", "bridge_replicas", type=click.IntRange(min=1), default=None,
              help="Bridges on BRIDGE_PORT+1, ... behind HAProxy on BRIDGE_PORT (default BRIDGES, 1: no balancer).")
def up(replicas: Optional[int], bridge_replicas: Optional[int]) -> None:
    from bot.processes import StartupError, full_stack

    settings = get_settings()
    if replicas is not None:  # the bridge gets it as RASA_REPLICAS (Settings.as_env)
        settings = settings.copy(update={"rasa_replicas": replicas})
    if bridge_replicas is not None:
        settings = settings.copy(update={"bridge_replicas": bridge_replicas})
    _check_bridges(settings)
    _warn_about_replicas(settings)
    if not settings.database_url:  # the embedded SQLite; a DATABASE_URL is seeded only on request
        seed.callback(reset=False)
    _prepare_desk(settings)
    _history_on_first_start(settings)
    model = _kb_or_exit(lambda: _live_model(settings))
    try:
        group = full_stack(settings, model)
        bridges = "the bridge" if settings.bridge_replicas == 1 else f"{settings.bridge_replicas} bridges behind HAProxy"
        click.echo(f"Starting the action server, the Rasa server and {bridges} (Rasa needs about a minute)...")
        group.start(progress=click.echo)
    except StartupError as error:
        raise click.ClickException(str(error))
    followups = (f"every {settings.followup_interval_minutes:g} min through {settings.smtp_host}" if settings.smtp_host
                 else "off (SMTP_HOST unset)")
    click.echo(
        "\nKuzey Destek is running:\n"
        f"  Storefront      {settings.bridge_url}/  (chat widget; English page: /en)\n"
        f"  Agent console   {settings.bridge_url}/agent\n"
        f"  Manager reports {settings.bridge_url}/manager  (admin: yonetici)\n"
        f"  Editors' studio {settings.bridge_url}/editor  (editor)\n"
        f"  Follow-up mails {followups}\n"
        f"  Rasa HTTP API   {settings.rasa_url}  (token in RASA_TOKEN or {settings.state_dir / 'rasa_token'})\n"
        f"  REST channel    {settings.rasa_url}/webhooks/rest/webhook\n"
        f"{_replica_lines(settings, group.services)}"
        f"{_bridge_lines(settings, group.services)}"
        f"  Action server   http://{settings.host}:{settings.action_port}\n"
        f"  Talk to it:     .venv/bin/python -m bot talk\n"
        f"  Logs:           {settings.state_dir / 'logs'}\n"
        "Press Ctrl+C to stop."
    )
    stopping = []
    # Explicit handlers: a shell may start us with SIGINT ignored (e.g. in the background).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    try:
        while not stopping and all(s.running() for s in group.services):
            time.sleep(1)
        for service in group.services:
            if not service.running():
                click.echo(f"{service.name} stopped unexpectedly; see {service.log_path}", err=True)
    finally:
        click.echo("Stopping...")
        group.stop()


def _warn_about_replicas(settings) -> None:
    """Several replicas work on the embedded setup, but are meant for PostgreSQL and Redis."""
    if settings.rasa_replicas < 2:
        return
    if not settings.store_database_url.startswith("postgresql"):
        click.echo(f"Warning: {settings.rasa_replicas} Rasa replicas share one SQLite file; set DATABASE_URL to "
                   "PostgreSQL for replicas that scale.", err=True)
    if not settings.redis_url:
        click.echo("Note: without REDIS_URL each Rasa keeps its conversation locks in its own process; the bridge's "
                   "routing by a hash of the conversation id is what keeps one conversation on one replica.", err=True)


def _check_bridges(settings) -> None:
    """Several bridges share the desk through the database and Socket.IO rooms through Redis:
    without Redis an agent's reply would not reach a shopper on another bridge, so refuse."""
    if settings.bridge_replicas < 2:
        return
    if not settings.redis_url:
        raise click.ClickException(
            f"{settings.bridge_replicas} bridges need REDIS_URL: their Socket.IO rooms are shared through Redis, "
            "and without it a message sent on one bridge never reaches a socket on another. Set REDIS_URL "
            "(and DATABASE_URL to PostgreSQL), or run one bridge.")
    from bot.balancer import NOT_INSTALLED, haproxy_executable

    if haproxy_executable() is None:
        raise click.ClickException(NOT_INSTALLED)
    if not settings.store_database_url.startswith("postgresql"):
        click.echo(f"Warning: {settings.bridge_replicas} bridges share one SQLite file; SQLite takes one writer at a "
                   "time. Set DATABASE_URL to PostgreSQL for bridges that scale.", err=True)


def _bridge_lines(settings, services) -> str:
    """Every bridge `up` started behind the balancer, and the balancer."""
    if settings.bridge_replicas < 2:
        return ""
    from bot.balancer import MONITOR_URI, STICKY_COOKIE, config_path

    bridges = [service for service in services if service.name.startswith("bridge")]
    lines = [f"  Bridge {index + 1}        {service.health_url.rsplit('/health', 1)[0]}  (log {service.log_path})"
             for index, service in enumerate(bridges)]
    lines.append(f"  Load balancer   {settings.bridge_url}  (HAProxy, sticky by the {STICKY_COOKIE} cookie; "
                 f"health {MONITOR_URI}; config {config_path(settings)})")
    return "\n".join(lines) + "\n"


def _replica_lines(settings, services) -> str:
    """Every Rasa replica `up` started, and where the bridge routes (RASA_URLS may differ)."""
    if settings.rasa_replicas < 2 and not settings.rasa_urls:
        return ""
    rasas = [service for service in services if service.name.startswith("Rasa server")]
    lines = [f"  Rasa replica {index + 1}  {service.health_url.rstrip('/')}  (log {service.log_path})"
             for index, service in enumerate(rasas)]
    lines.append(f"  Bridge routes to {', '.join(settings.rasa_replica_urls)}  (by a hash of the conversation id)")
    return "\n".join(lines) + "\n"


def _prepare_desk(settings) -> None:
    """Desk tables and demo accounts, created here so that generated passwords show in this terminal."""
    from bot.desk.accounts import ensure_demo_accounts
    from bot.desk.app import DEMO_STORE, print_generated_passwords
    from bot.desk.store import DeskStore, utcnow

    store = DeskStore.open(settings.store_database_url, settings.contact_idle_minutes)
    print_generated_passwords(ensure_demo_accounts(store.session(), DEMO_STORE, utcnow()))
    store.engine.dispose()


def _history_on_first_start(settings) -> None:
    """The embedded database's first start gets the demo history, so the dashboard is not empty;
    a DATABASE_URL database never does unless asked (`seed --history`). A failure only warns."""
    from actions.store.database import engine_for
    from bot.demo_history.history import wants_history_on_start

    try:
        if wants_history_on_start(settings, engine_for(settings.store_database_url)):
            _add_history(settings)
    except Exception as error:  # noqa: BLE001 - a demo must never stop the product from starting
        click.echo(f"Demo history not added ({error}); add it later with: python -m bot seed --history", err=True)


def _live_model(settings) -> Path:
    """The model of the knowledge base's live version (the studio's), trained if the code changed."""
    from bot.studio.publishing import ensure_live_model, open_studio

    return ensure_live_model(settings, open_studio(settings))


@main.group(help="The knowledge base's published versions (the editors' studio, /editor, does the same on the web).")
def kb() -> None:
    pass


@kb.command("versions", help="List published versions, newest first.")
def kb_versions() -> None:
    from bot.studio.publishing import open_studio

    for version in open_studio(get_settings()).versions():
        gate = version["gate"] or {}
        verdict = "" if not gate else ("gate passed" if gate.get("passed") else "gate blocked")
        click.echo(f"{version['id']:>4}  {version['status']:<10} {version['kind']:<8} {version['at']}  {version['by'] or '':<12} "
                   f"{version['topics']} topics  {version['model'] or ''}  {verdict}")


@kb.command("publish", help="Publish the editors' drafts: answers at once, questions after training and the gate.")
@click.option("--by", default="terminal", help="Who publishes (recorded in the history).")
@click.option("--note", default=None, help="What changed, for the history.")
@click.option("--override", "override_reason", default=None, help="Publish even if the gate blocks; the reason is recorded.")
def kb_publish(by: str, note: str | None, override_reason: str | None) -> None:
    from bot.studio.publishing import open_studio, publish, publish_candidate, run_job
    from bot.studio.repository import StudioError

    settings = get_settings()
    studio = open_studio(settings)
    try:
        outcome = publish(studio, by, note)
        if outcome["kind"] == "answers":
            click.echo(f"Version {outcome['version']} is live (answers only, no training).")
            return
        click.echo(f"Training version {outcome['version']} (job {outcome['job']}); this takes several minutes...")
        status = run_job(settings, studio, outcome["job"], auto_publish=True)
        version = studio.version(outcome["version"])
        for reason in (version.gate or {}).get("reasons", []):
            click.echo(f"  {reason}", err=True)
        if status == "blocked" and override_reason:
            publish_candidate(settings, studio, version.id, by, override_reason=override_reason)
            status = "published"
        if status != "published":
            raise click.ClickException(f"Version {version.id} was not published ({status}).")
        click.echo(f"Version {version.id} is live.")
    except StudioError as error:
        raise click.ClickException(error.message)


@kb.command("rollback", help="Make an earlier published version live again (no training).")
@click.argument("version", type=int)
@click.option("--by", default="terminal")
def kb_rollback(version: int, by: str) -> None:
    from bot.studio.publishing import open_studio, rollback
    from bot.studio.repository import StudioError

    try:
        outcome = rollback(get_settings(), open_studio(get_settings()), version, by)
    except StudioError as error:
        raise click.ClickException(error.message)
    click.echo(f"Version {outcome['version']} (a copy of {version}) is live.")


@kb.command("export", help="Write the live version back to data/faq/ (to review the editors' changes in git).")
@click.option("--to", "folder", type=click.Path(path_type=Path), default=None, help="Another folder than data/faq/.")
def kb_export(folder: Path | None) -> None:
    from bot.studio.publishing import open_studio, write_faq
    from bot.training import FAQ_DIR

    live = open_studio(get_settings()).live_version()
    write_faq(live.content, folder or FAQ_DIR)
    click.echo(f"Version {live.id} ({len(live.content)} topics) written to {folder or FAQ_DIR}.")


@kb.command("job", help="Run one training job of the studio (the bridge starts these in their own process).")
@click.argument("job_id", type=int)
def kb_job(job_id: int) -> None:
    from bot.studio.publishing import open_studio, run_job

    settings = get_settings()
    click.echo(f"job {job_id}: {run_job(settings, open_studio(settings), job_id)}")


@main.command("rasa-pool", help="Serve Rasa at RASA_PORT behind the proxy that swaps models blue/green (`up` runs it).")
@click.option("--model", "model", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--port", type=int, default=None, help="Listen here instead of RASA_PORT (a further replica).")
def rasa_pool(model: Path, port: Optional[int]) -> None:
    from bot.rasa_pool import run

    run(get_settings(), model.resolve(), port)


@main.command(help="Run only the bridge (storefront, widget, agent console) against a running Rasa.")
def bridge() -> None:
    from bot.desk.app import run

    run(get_settings())


@main.group(help="Desk accounts (agents, editors, admins).")
def users() -> None:
    pass


@users.command("list", help="List the desk accounts.")
def users_list() -> None:
    from sqlalchemy import select

    from bot.desk.models import DeskUser
    from bot.desk.store import DeskStore

    _prepare_desk(get_settings())
    store = DeskStore.open(get_settings().store_database_url)
    with store.session() as session:
        for user in session.execute(select(DeskUser).order_by(DeskUser.id)).scalars():
            click.echo(f"{user.username:12} {user.role:7} {user.display_name:20} languages={','.join(user.languages)} "
                       f"max_chats={user.max_chats} skills={','.join(user.skills or []) or 'all'} max_tickets={user.max_tickets}"
                       f"{'' if user.active else ' (disabled)'}")


@users.command("password", help="Set a new password for an account (asked twice, not echoed).")
@click.argument("username")
@click.password_option()
def users_password(username: str, password: str) -> None:
    from bot.desk.accounts import set_password
    from bot.desk.store import DeskStore

    store = DeskStore.open(get_settings().store_database_url)
    try:
        set_password(store.session(), username, password)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error))
    click.echo(f"Password of {username} changed; its open sessions are logged out.")


@users.command("tickets", help="Which ticket categories an agent handles and how many open tickets at most.")
@click.argument("username")
@click.option("--skills", help="Comma-separated categories (kargo,urun,iade,odeme,hizmet,diger); 'all' for every one.")
@click.option("--max-tickets", type=click.IntRange(1, 500), help="Open tickets at most (default 20).")
def users_tickets(username: str, skills: Optional[str], max_tickets: Optional[int]) -> None:
    from bot.desk.accounts import set_ticket_work
    from bot.desk.store import DeskStore

    store = DeskStore.open(get_settings().store_database_url)
    chosen = None if skills is None else ([] if skills.strip() == "all" else [p.strip() for p in skills.split(",") if p.strip()])
    try:
        user = set_ticket_work(store.session(), username, chosen, max_tickets)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error))
    click.echo(f"{username}: skills={','.join(user.skills) or 'all'} max_tickets={user.max_tickets}")


@users.command("deactivate", help="Disable an account: it can no longer log in, and its open sessions end.")
@click.argument("username")
def users_deactivate(username: str) -> None:
    _set_active(username, False)
    click.echo(f"{username} disabled; its open sessions are logged out.")


@users.command("activate", help="Enable a disabled account again.")
@click.argument("username")
def users_activate(username: str) -> None:
    _set_active(username, True)
    click.echo(f"{username} enabled.")


def _set_active(username: str, active: bool) -> None:
    from bot.desk.accounts import set_active
    from bot.desk.store import DeskStore

    store = DeskStore.open(get_settings().store_database_url)
    try:
        set_active(store.session(), username, active)
    except LookupError as error:
        raise click.ClickException(str(error))


@main.command(help="Write the HTML report of a week or a month (charts and a plain-Turkish summary of what changed).")
@click.option("--period", "kind", type=click.Choice(["day", "week", "month"]), default="week", show_default=True)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="A day in the period (default: the last complete period).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the file (default: $STATE_DIR/reports/kuzey-<period>-<start>.html).")
def report(kind: str, day, output: Path | None) -> None:
    from bot.desk.store import DeskStore
    from bot.reports.charts import charts
    from bot.reports.html import render_html
    from bot.reports.metrics import build_report
    from bot.reports.periods import local_today, period_of
    from bot.reports.summary import summary_lines

    settings = get_settings()
    zone = settings.report_timezone
    chosen = day.date() if day else period_of(kind, local_today(zone), zone).previous().start.date()
    store = DeskStore.open(settings.store_database_url)
    figures = build_report(store, kind, chosen, zone=zone)
    output = output or settings.state_dir / "reports" / f"kuzey-{kind}-{figures['period']['start']}.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_html(figures, charts(figures), summary_lines(figures)), encoding="utf-8")
    click.echo(f"{figures['period']['label']}: {figures['totals']['contacts']} sohbet. Rapor: {output}")


@main.command(help="Send the follow-up e-mails that are due now (delivered orders; --dry-run only lists who would get one).")
@click.option("--dry-run", is_flag=True, help="List who would get an e-mail; send nothing.")
def followups(dry_run: bool) -> None:
    from actions.store.database import make_engine
    from actions.store.migrate import upgrade
    from bot.followup.job import run_once

    settings = get_settings()
    upgrade(make_engine(settings.store_database_url))  # a store not seeded yet has no orders, not no tables
    try:
        result = run_once(settings, dry_run=dry_run)
    except ValueError as error:
        raise click.ClickException(str(error))
    click.echo(result.summary())
    if dry_run and result.would_send:
        click.echo("would send for orders: " + ", ".join(result.would_send))
    if not result.ok:
        sys.exit(1)


@main.command(help="Chat with the running assistant in the terminal (start it with `up` first).")
@click.option("--language", type=click.Choice(["tr", "en"]), default=None, help="Page language sent as metadata.")
def talk(language: str | None) -> None:
    from bot.terminal_chat import chat

    chat(get_settings(), language)


@main.command(help="Measure NLU quality and latency on the held-out test set.")
@click.option("--url", default=None, help="A running Rasa server to measure (default: start one).")
@click.option("--ablation", is_flag=True, help="Also train and compare the pipeline variants in configs/ablation/.")
def evaluate(url: str | None, ablation: bool) -> None:
    from bot.evaluation import run_evaluation

    _kb_or_exit(lambda: run_evaluation(get_settings(), url=url, ablation=ablation))


def _kb_or_exit(step):
    from bot.training import KnowledgeBaseError

    try:
        return step()
    except KnowledgeBaseError as error:
        raise click.ClickException(str(error))
    except subprocess.CalledProcessError as error:
        raise click.ClickException(f"{Path(error.cmd[2]).name} {error.cmd[3]} failed (exit {error.returncode}).")


def _register_privacy_commands() -> None:
    from bot.privacy.cli import privacy

    main.add_command(privacy)


_register_privacy_commands()
