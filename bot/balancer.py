"""HAProxy in front of several bridges on one machine (`python -m bot up --bridges N`).

The balancer takes BRIDGE_PORT; the bridges listen on the ports after it (`Settings.bridge_ports`).
Engine.io keeps a connection's state in the bridge that opened it: its long-polling requests and
the websocket upgrade must all reach that bridge (python-socketio's "Using Multiple Workers"
notes), so HAProxy inserts a cookie naming the bridge and sends every later request back to it.
A bridge that fails /health or refuses connections loses its shoppers to the others, whose
Socket.IO clients reconnect (rooms are shared through Redis, the desk through the database).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from bot.settings import Settings

STICKY_COOKIE = "kuzey_bridge"       # value: the bridge's name in the config (bridge1, bridge2, ...)
SERVED_BY_HEADER = "X-Kuzey-Bridge"  # which bridge answered, for operators and tests
MONITOR_URI = "/balancer/health"     # answered by HAProxy itself: the balancer's own health
DEBIAN_HAPROXY = "/usr/sbin/haproxy"  # not on a normal user's PATH on Debian
NOT_INSTALLED = ("Several bridges run behind HAProxy, which is not installed: run scripts/setup-balancer.sh "
                 "(make balancer), or set HAPROXY_PATH.")


def haproxy_executable() -> Optional[str]:
    """HAPROXY_PATH, else `haproxy` on PATH, else Debian's (scripts/setup-balancer.sh installs it)."""
    chosen = os.environ.get("HAPROXY_PATH", "").strip()
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("haproxy") or (DEBIAN_HAPROXY if os.access(DEBIAN_HAPROXY, os.X_OK) else None)


def backend_host(bind_host: str) -> str:
    """Where the balancer reaches a bridge bound to `bind_host` (a wildcard is reached on loopback)."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(bind_host, bind_host)


def bridge_servers(settings: Settings) -> List[Tuple[str, str]]:
    """(name, address) of every bridge, in start order; the name is also the sticky cookie's value."""
    host = backend_host(settings.host)
    address = f"[{host}]" if ":" in host else host
    return [(f"bridge{index + 1}", f"{address}:{port}") for index, port in enumerate(settings.bridge_ports)]


def haproxy_config(bind: str, servers: Sequence[Tuple[str, str]], *, ready_when_up: Optional[int] = None) -> str:
    """An HAProxy (2.2+) configuration: `bind` (host:port) in front of `servers` [(name, host:port)].
    Its MONITOR_URI answers 200 while at least `ready_when_up` of them (default: all) pass their
    health checks: `bot up` reports the stack running only once every bridge takes shoppers."""
    server_lines = "\n".join(f"    server {name} {address} check cookie {name}" for name, address in servers)
    ready_when = len(servers) if ready_when_up is None else ready_when_up
    return f"""\
# Written by bot/balancer.py (`python -m bot up --bridges N`) at every start; edits are lost.
global
    log stdout format raw daemon notice

defaults
    mode http
    log global
    option httplog
    option dontlog-normal            # only errors and aborted requests reach the log
    timeout connect 5s
    # engine.io's long poll is held up to its ping interval (25 s): well under these.
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    # An upgraded websocket is a tunnel; engine.io pings through it every 25 s, so this only ends
    # sockets whose other side vanished without a word.
    timeout tunnel 1h
    timeout client-fin 10s
    # A bridge that refuses the connection (stopped, restarting): retry on another one even if the
    # cookie names it; the shopper's client reconnects there.
    retries 2
    option redispatch

frontend public
    bind {bind}
    monitor-uri {MONITOR_URI}
    monitor fail if {{ nbsrv(bridges) lt {ready_when} }}
    # This balancer is the edge: the address the bridges see (TRUST_PROXY=true) is the one it
    # appends, never one a client wrote. Behind another proxy, keep that proxy's header instead.
    http-request del-header X-Forwarded-For
    option forwardfor
    default_backend bridges

backend bridges
    balance roundrobin
    # Sticky sessions: engine.io's polling requests and its websocket upgrade must reach the
    # bridge that opened the connection.
    cookie {STICKY_COOKIE} insert indirect nocache httponly
    option httpchk GET /health
    http-check expect status 200
    # A dead bridge is out within about 3 s; a started one is in within about 2 s.
    default-server inter 2s fastinter 500ms downinter 1s fall 2 rise 2
    http-response set-header {SERVED_BY_HEADER} %[srv_name]
{server_lines}
"""


def config_path(settings: Settings) -> Path:
    return settings.state_dir / "haproxy" / "haproxy.cfg"


def write_config(settings: Settings) -> Path:
    """The configuration for `settings` (BRIDGE_PORT in front of `bridge_ports`), written to the state folder."""
    path = config_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(haproxy_config(f"{settings.host}:{settings.bridge_port}", bridge_servers(settings)))
    return path


def haproxy_command(executable: str, config: Path) -> List[str]:
    """HAProxy in the foreground (-db) as a master with one worker (-W): SIGTERM stops both."""
    return [executable, "-W", "-db", "-f", str(config)]
