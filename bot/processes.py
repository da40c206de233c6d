"""Starts the Rasa server and the action server as child processes, with health checks.

Used by `python -m bot up`, by the evaluation command and by the integration tests, so all
three start the services the same way. Stopping the group stops every child.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import requests

from bot import balancer as haproxy
from bot.settings import PROJECT_ROOT, Settings
from bot.training import rasa_command, rasa_env


def free_port() -> int:
    """A TCP port nobody listens on now (for a service started next, e.g. a second Rasa)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StartupError(RuntimeError):
    pass


@dataclass
class Service:
    name: str
    command: List[str]
    health_url: str
    log_path: Path
    process: Optional[subprocess.Popen] = None
    env: Dict[str, str] = field(default_factory=dict)  # on top of the group's (e.g. one bridge's port)

    def start(self, env: dict) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT_ROOT, env={**env, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stopping reaches its children
            )

    def healthy(self) -> bool:
        try:
            return requests.get(self.health_url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if not self.running():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def rss_bytes(self) -> int:
        """Resident memory of the service's whole process group (Rasa may spawn helpers)."""
        if not self.running():
            return 0
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.getpgid(int(pid)) != self.process.pid:
                    continue
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
            except (OSError, ProcessLookupError):
                continue
        return total


def action_server(settings: Settings) -> Service:
    return Service(
        "action server",
        # Our entry point: rasa-sdk's server that refuses calls without Rasa's token (actions/server.py).
        [sys.executable, "-m", "actions.server", "--actions", "actions", "--port", str(settings.action_port)],
        f"http://{settings.host}:{settings.action_port}/health",
        settings.state_dir / "logs" / "actions.log",
    )


def rasa_server(settings: Settings, model: Path) -> Service:
    return Service(
        "Rasa server",
        rasa_command(
            "run", "--model", str(model), "--enable-api", f"--auth-token={settings.rasa_api_token()}",
            "--interface", settings.host, "--port", str(settings.rasa_port),
            "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        ),
        f"{settings.rasa_url}/",
        settings.state_dir / "logs" / "rasa.log",
    )


def serving_rasa(settings: Settings, model: Path, replica: int = 0) -> Service:
    """The Rasa that serves shoppers: behind bot/rasa_pool.py, which swaps models blue/green.
    Replica i (of `bot up --rasa N`) listens on RASA_PORT+i and logs to its own files."""
    port = settings.rasa_port + replica
    return Service(
        "Rasa server" if replica == 0 else f"Rasa server {replica + 1}",
        [sys.executable, "-m", "bot", "rasa-pool", "--model", str(model), "--port", str(port)],
        f"http://{settings.host}:{port}/",
        settings.state_dir / "logs" / ("rasa-pool.log" if replica == 0 else f"rasa-pool-{port}.log"),
    )


def serving_rasas(settings: Settings, model: Path) -> List[Service]:
    """RASA_REPLICAS serving Rasas; the bridge routes each conversation to one of them."""
    return [serving_rasa(settings, model, replica) for replica in range(settings.rasa_replicas)]


@dataclass
class ServiceGroup:
    settings: Settings
    services: List[Service] = field(default_factory=list)

    def start(self, progress: Callable[[str], None] = print) -> None:
        for service in self.services:
            if service.healthy():
                raise StartupError(f"{service.health_url} is already answering: is another copy running?")
        env = rasa_env(self.settings)
        try:
            for service in self.services:
                service.start(env)
            self._wait_until_healthy(progress)
        except BaseException:  # also Ctrl+C while waiting: never leave children behind
            self.stop()
            raise

    def start_again(self, service: Service, progress: Callable[[str], None] = print) -> None:
        """Starts one stopped service of the group again (tests stop parts to see the rest cope)."""
        service.start(rasa_env(self.settings))
        self._wait_until_healthy(progress, [service])

    def service(self, name: str) -> Service:
        return next(service for service in self.services if service.name == name)

    def _wait_until_healthy(self, progress: Callable[[str], None], services: Optional[List[Service]] = None) -> None:
        deadline = time.monotonic() + self.settings.startup_timeout
        waiting = list(services or self.services)
        while waiting:
            for service in list(waiting):
                if not service.running():
                    raise StartupError(f"{service.name} exited during start-up; see {service.log_path}")
                if service.healthy():
                    progress(f"{service.name} is up ({service.health_url})")
                    waiting.remove(service)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                raise StartupError(f"{names} did not become healthy in time; see the logs in {self.settings.state_dir / 'logs'}")
            time.sleep(1)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def __enter__(self) -> "ServiceGroup":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def bridge(settings: Settings) -> Service:
    return Service(
        "bridge",
        [sys.executable, "-m", "bot", "bridge"],
        f"{settings.bridge_url}/health",
        settings.state_dir / "logs" / "bridge.log",
    )


def balanced_bridge(settings: Settings, replica: int) -> Service:
    """Bridge i of several behind the local balancer, on its own port and log. It trusts the
    balancer's X-Forwarded-For (rate limits count shoppers, not the balancer), and its links in
    e-mails point at the balancer (PUBLIC_URL), not at its own port."""
    port = settings.bridge_ports[replica]
    return Service(
        f"bridge {replica + 1}",
        [sys.executable, "-m", "bot", "bridge"],
        f"http://{settings.host}:{port}/health",
        settings.state_dir / "logs" / f"bridge-{port}.log",
        env={"BRIDGE_PORT": str(port), "TRUST_PROXY": "true", "PUBLIC_URL": settings.public_base_url},
    )


def balancer(settings: Settings) -> Service:
    """HAProxy on BRIDGE_PORT in front of the bridges (bot/balancer.py writes its configuration)."""
    executable = haproxy.haproxy_executable()
    if executable is None:
        raise StartupError(haproxy.NOT_INSTALLED)
    return Service(
        "load balancer",
        haproxy.haproxy_command(executable, haproxy.write_config(settings)),
        f"{settings.bridge_url}{haproxy.MONITOR_URI}",
        settings.state_dir / "logs" / "haproxy.log",
    )


def bridges(settings: Settings) -> List[Service]:
    """One bridge on BRIDGE_PORT; or BRIDGES of them behind HAProxy, which then takes BRIDGE_PORT."""
    if settings.bridge_replicas == 1:
        return [bridge(settings)]
    return [*(balanced_bridge(settings, replica) for replica in range(settings.bridge_replicas)), balancer(settings)]


def assistant(settings: Settings, model: Path) -> ServiceGroup:
    return ServiceGroup(settings, [action_server(settings), *serving_rasas(settings, model)])


def full_stack(settings: Settings, model: Path) -> ServiceGroup:
    """The assistant and, in front of it, the bridge (or BRIDGES of them behind HAProxy) with the
    widget and the agent console."""
    return ServiceGroup(settings, [action_server(settings), *serving_rasas(settings, model), *bridges(settings)])
