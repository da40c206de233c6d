"""`python -m bot ...`: the project's command line (documented in README.md)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from bot.settings import PROJECT_ROOT, get_settings


@click.group(help="Kuzey Destek: run, train, validate and evaluate the support assistant.")
def main() -> None:
    pass


@main.command(help="Seed the store database from data/demo_store.json (safe to re-run).")
@click.option("--reset", is_flag=True, help="Drop the demo rows and resolve the dates again from now.")
def seed(reset: bool) -> None:
    from actions.store.database import make_engine
    from actions.store.seed import seed as seed_store

    settings = get_settings()
    report = seed_store(make_engine(settings.store_database_url), reset=reset)
    counts = ", ".join(f"{table} {count}" for table, count in report.counts.items())
    click.echo(f"Store database ready ({report.anchor:%Y-%m-%d %H:%M} anchor): {counts}")


@main.command(help="Write an Alembic migration for changed store models (actions/store/models.py).")
@click.argument("message")
def new_migration(message: str) -> None:
    from actions.store.migrate import new_migration as write_migration

    write_migration(message)


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


@main.command(help="Seed, train if needed, start Rasa and the action server, and wait (Ctrl+C stops all).")
def up() -> None:
    from bot.processes import StartupError, assistant
    from bot.training import train as train_model

    settings = get_settings()
    if not settings.database_url:  # the embedded SQLite; a DATABASE_URL is seeded only on request
        seed.callback(reset=False)
    model = _kb_or_exit(lambda: train_model(settings))
    group = assistant(settings, model)
    click.echo("Starting the action server and the Rasa server (Rasa needs about a minute)...")
    try:
        group.start(progress=click.echo)
    except StartupError as error:
        raise click.ClickException(str(error))
    click.echo(
        "\nKuzey Destek is running:\n"
        f"  Rasa HTTP API   {settings.rasa_url}  (token in RASA_TOKEN or {settings.state_dir / 'rasa_token'})\n"
        f"  REST channel    {settings.rasa_url}/webhooks/rest/webhook\n"
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
