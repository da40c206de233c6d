"""The whole stack for a benchmark: Rasa, the action server and the bridge on free ports.

Started like the integration tests do (tests/integration/conftest.py): a temporary state
folder with a freshly seeded store, the cached model, a random Rasa token and demo passwords
chosen here. The bridge accepts many sockets from this one address and is always "open"
(support hours) so that handoffs reach an agent.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.processes import ServiceGroup, Service, free_port, full_stack
from bot.settings import Settings
from bot.training import train

AGENT = "ayse"
ACCOUNTS = ("ayse", "mehmet", "zeynep", "yonetici", "editor")


@dataclass
class Stack:
    settings: Settings
    model: Path
    group: ServiceGroup
    passwords: Dict[str, str]
    state_dir: Path
    services: Dict[str, Service] = field(default_factory=dict)

    @property
    def rest_url(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/rest/webhook"

    @property
    def bridge_url(self) -> str:
        return self.settings.bridge_url

    def pid(self, name: str) -> Optional[int]:
        """`bridge`, `rasa` or `actions`: the process the service started (its group leader)."""
        service = self.services.get(name)
        return service.process.pid if service and service.running() else None

    def pids(self) -> Dict[str, int]:
        return {name: pid for name in self.services if (pid := self.pid(name))}

    def stop(self) -> None:
        self.group.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)


def start_stack(progress=print) -> Stack:
    """Trains if needed (cached by data hash), seeds a new store and starts all three services."""
    model = train(Settings())
    state_dir = Path(tempfile.mkdtemp(prefix="kuzey-bench-"))
    settings = Settings(
        state_dir=state_dir, rasa_port=free_port(), action_port=free_port(), bridge_port=free_port(),
        rasa_token=uuid.uuid4().hex, desk_secret=secrets.token_urlsafe(32),
        support_hours="always",               # handoffs reach an agent at any hour
        connections_per_address=20000,        # every simulated shopper comes from 127.0.0.1
    )
    engine = make_engine(settings.store_database_url)
    seed(engine)
    engine.dispose()
    passwords = {name: secrets.token_urlsafe(12) for name in ACCOUNTS}
    # The bridge creates the demo accounts with these on its first start (it inherits our environment).
    os.environ.update({f"KUZEY_PASSWORD_{name.upper()}": password for name, password in passwords.items()})
    group = full_stack(settings, model)
    progress(f"Starting the stack in {state_dir} (Rasa needs about a minute)...")
    group.start(progress=progress)
    action_server, rasa, bridge = group.services
    return Stack(settings, model, group, passwords, state_dir,
                 {"actions": action_server, "rasa": rasa, "bridge": bridge})
