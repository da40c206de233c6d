"""A terminal chat with the running assistant over Rasa's REST channel (`python -m bot talk`)."""
import uuid
from typing import Optional

import click
import requests

from bot.settings import Settings


def chat(settings: Settings, language: Optional[str]) -> None:
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    metadata = {"language": language} if language else {}
    click.echo("Kuzey Destek: yazın ve Enter'a basın; çıkmak için Ctrl+D.")
    while True:
        try:
            text = input("siz> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not text:
            continue
        try:
            response = requests.post(url, json={"sender": sender, "message": text, "metadata": metadata}, timeout=30)
            response.raise_for_status()
        except requests.RequestException as error:
            raise click.ClickException(f"The assistant does not answer at {url} ({error}). Start it with `make run`.")
        for message in response.json():
            if "text" in message:
                click.echo(f"bot> {message['text']}")
            for button in message.get("buttons", []):
                click.echo(f"     [{button['title']}]")
            if "custom" in message:  # signals meant for the bridge (handoff offers, tickets)
                click.echo(f"     (signal: {message['custom']})")
