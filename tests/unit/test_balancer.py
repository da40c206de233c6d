"""The HAProxy configuration for several bridges (bot/balancer.py), the services `bot up --bridges N`
starts, its checks, and the configuration run by a real HAProxy in front of two tiny HTTP servers."""
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
import requests

from bot import balancer
from bot.cli import _bridge_lines, _check_bridges
from bot.processes import Service, ServiceGroup, StartupError, bridge, bridges, full_stack
from bot.settings import Settings
from tests.stack import free_port, service_missing


@pytest.fixture
def fake_haproxy(monkeypatch, tmp_path):
    """An executable that stands for HAProxy where only the command line is looked at."""
    path = tmp_path / "bin" / "haproxy"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    monkeypatch.setenv("HAPROXY_PATH", str(path))
    return str(path)


def real_haproxy() -> str:
    executable = balancer.haproxy_executable()
    if executable is None:
        service_missing("HAProxy is not installed (scripts/setup-balancer.sh)")
    return executable


def test_bridges_env_sets_the_replicas_and_they_take_the_ports_after_bridge_port(monkeypatch, tmp_path):
    monkeypatch.setenv("BRIDGES", "3")
    monkeypatch.setenv("BRIDGE_PORT", "9000")
    settings = Settings(state_dir=tmp_path)
    assert settings.bridge_replicas == 3
    assert settings.bridge_ports == [9001, 9002, 9003]
    assert settings.as_env()["BRIDGES"] == "3"  # what the children get back
    assert Settings(state_dir=tmp_path, bridge_replicas=1).bridge_ports == [9000]  # one bridge keeps BRIDGE_PORT
    with pytest.raises(ValueError):
        Settings(state_dir=tmp_path, bridge_replicas=0)


def test_the_config_fronts_every_bridge_with_a_sticky_cookie_and_health_checks(tmp_path):
    settings = Settings(state_dir=tmp_path, bridge_port=8080, bridge_replicas=3, host="0.0.0.0")
    path = balancer.write_config(settings)
    assert path == tmp_path / "haproxy" / "haproxy.cfg"
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    assert "bind 0.0.0.0:8080" in lines
    # A wildcard-bound bridge is reached on loopback; each is named, and the cookie carries the name.
    assert [line for line in lines if line.startswith("server ")] == [
        "server bridge1 127.0.0.1:8081 check cookie bridge1",
        "server bridge2 127.0.0.1:8082 check cookie bridge2",
        "server bridge3 127.0.0.1:8083 check cookie bridge3",
    ]
    assert "cookie kuzey_bridge insert indirect nocache httponly" in lines
    assert "option httpchk GET /health" in lines and "http-check expect status 200" in lines
    assert "timeout tunnel 1h" in lines
    assert "option forwardfor" in lines and "http-request del-header X-Forwarded-For" in lines
    assert "monitor-uri /balancer/health" in lines
    assert "monitor fail if { nbsrv(bridges) lt 3 }" in lines  # ready only when every bridge is


def test_the_generated_config_is_valid_for_haproxy(tmp_path):
    executable = real_haproxy()
    path = balancer.write_config(Settings(state_dir=tmp_path, bridge_replicas=2))
    check = subprocess.run([executable, "-c", "-f", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "WARNING" not in check.stdout + check.stderr


def test_one_bridge_is_started_exactly_as_before(tmp_path):
    settings = Settings(state_dir=tmp_path)
    started = full_stack(settings, tmp_path / "model.tar.gz").services
    assert [service.name for service in started] == ["action server", "Rasa server", "bridge"]
    assert started[-1] == bridge(settings) and started[-1].env == {}
    assert started[-1].health_url == "http://127.0.0.1:8080/health"
    assert not (tmp_path / "haproxy").exists()


def test_several_bridges_run_behind_haproxy_on_bridge_port(tmp_path, fake_haproxy):
    settings = Settings(state_dir=tmp_path, bridge_port=7000, bridge_replicas=2, rasa_replicas=2)
    started = full_stack(settings, tmp_path / "model.tar.gz").services
    assert [service.name for service in started] == [
        "action server", "Rasa server", "Rasa server 2", "bridge 1", "bridge 2", "load balancer"]
    first, second, haproxy = started[-3:]
    assert first.env == {"BRIDGE_PORT": "7001", "TRUST_PROXY": "true", "PUBLIC_URL": "http://127.0.0.1:7000"}
    assert second.env["BRIDGE_PORT"] == "7002" and second.health_url == "http://127.0.0.1:7002/health"
    assert first.log_path != second.log_path
    assert haproxy.command == [fake_haproxy, "-W", "-db", "-f", str(tmp_path / "haproxy" / "haproxy.cfg")]
    assert haproxy.health_url == "http://127.0.0.1:7000/balancer/health"
    assert (tmp_path / "haproxy" / "haproxy.cfg").exists()


def test_a_public_url_set_by_the_operator_is_kept(tmp_path, fake_haproxy):
    settings = Settings(state_dir=tmp_path, bridge_replicas=2, public_url="https://destek.example")
    assert bridges(settings)[0].env["PUBLIC_URL"] == "https://destek.example"


def test_without_haproxy_several_bridges_are_refused_with_the_way_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HAPROXY_PATH", str(tmp_path / "missing"))
    settings = Settings(state_dir=tmp_path, bridge_replicas=2, redis_url="redis://cache.invalid:6379/0")
    with pytest.raises(StartupError, match="setup-balancer.sh"):
        bridges(settings)
    with pytest.raises(click.ClickException, match="setup-balancer.sh"):
        _check_bridges(settings)


def test_several_bridges_without_redis_are_refused(tmp_path, fake_haproxy):
    with pytest.raises(click.ClickException, match="REDIS_URL"):
        _check_bridges(Settings(state_dir=tmp_path, bridge_replicas=2, database_url="postgresql://db/kuzey"))
    _check_bridges(Settings(state_dir=tmp_path, bridge_replicas=1))  # one bridge needs neither


def test_several_bridges_on_sqlite_are_warned_about(tmp_path, fake_haproxy, capsys):
    _check_bridges(Settings(state_dir=tmp_path, bridge_replicas=2, redis_url="redis://cache.invalid:6379/0"))
    assert "PostgreSQL" in capsys.readouterr().err
    _check_bridges(Settings(state_dir=tmp_path, bridge_replicas=2, redis_url="redis://cache.invalid:6379/0",
                            database_url="postgresql://db/kuzey"))
    assert capsys.readouterr().err == ""


def test_the_summary_lists_each_bridge_and_the_balancer(tmp_path, fake_haproxy):
    settings = Settings(state_dir=tmp_path, bridge_replicas=2)
    lines = _bridge_lines(settings, bridges(settings)).splitlines()
    assert lines[0].split()[:3] == ["Bridge", "1", "http://127.0.0.1:8081"]
    assert lines[1].split()[:3] == ["Bridge", "2", "http://127.0.0.1:8082"]
    assert lines[2].split()[:3] == ["Load", "balancer", "http://127.0.0.1:8080"]
    assert _bridge_lines(Settings(state_dir=tmp_path), [bridge(Settings(state_dir=tmp_path))]) == ""


# --- the configuration in a real HAProxy, in front of two small HTTP servers -------------------

class Echo(BaseHTTPRequestHandler):
    """Answers /health, and anything else with the X-Forwarded-For headers it received."""

    def do_GET(self):
        body = "ok" if self.path == "/health" else "|".join(self.headers.get_all("X-Forwarded-For") or [])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def haproxy_in_front_of_two_servers(tmp_path):
    executable = real_haproxy()
    servers = [ThreadingHTTPServer(("127.0.0.1", free_port()), Echo) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(balancer.haproxy_config(
        f"127.0.0.1:{port}", [(f"bridge{n + 1}", f"127.0.0.1:{s.server_port}") for n, s in enumerate(servers)]))
    service = balancer_service(executable, config, port, tmp_path)
    group = ServiceGroup(Settings(state_dir=tmp_path, startup_timeout=15), [service])
    group.start(progress=lambda _: None)
    yield f"http://127.0.0.1:{port}", servers
    group.stop()
    for server in servers:
        server.shutdown()
        server.server_close()


def balancer_service(executable: str, config: Path, port: int, tmp_path: Path) -> Service:
    return Service("load balancer", balancer.haproxy_command(executable, config),
                   f"http://127.0.0.1:{port}{balancer.MONITOR_URI}", tmp_path / "haproxy.log")


def test_haproxy_keeps_a_client_on_the_bridge_its_cookie_names(haproxy_in_front_of_two_servers):
    url, _ = haproxy_in_front_of_two_servers
    first = requests.get(f"{url}/page", timeout=5)
    pinned = first.headers[balancer.SERVED_BY_HEADER]
    assert first.cookies.get(balancer.STICKY_COOKIE) == pinned
    with requests.Session() as browser:
        browser.cookies.set(balancer.STICKY_COOKIE, pinned)
        assert {browser.get(f"{url}/page", timeout=5).headers[balancer.SERVED_BY_HEADER] for _ in range(6)} == {pinned}
    # Without the cookie, requests are spread over both.
    assert {requests.get(f"{url}/page", timeout=5).headers[balancer.SERVED_BY_HEADER] for _ in range(4)} == {
        "bridge1", "bridge2"}


def test_haproxy_replaces_a_forwarded_for_the_client_wrote(haproxy_in_front_of_two_servers):
    url, _ = haproxy_in_front_of_two_servers
    seen = requests.get(f"{url}/page", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5).text
    assert seen == "127.0.0.1"  # one header, the balancer's: a shopper cannot pick their rate-limit address


def test_the_balancer_reports_unready_until_every_bridge_passes_its_check(haproxy_in_front_of_two_servers):
    url, servers = haproxy_in_front_of_two_servers
    assert requests.get(f"{url}{balancer.MONITOR_URI}", timeout=5).status_code == 200
    servers[1].shutdown()
    servers[1].server_close()
    deadline = time.monotonic() + 8  # marked down after two failed checks (about 3 s)
    while requests.get(f"{url}{balancer.MONITOR_URI}", timeout=5).status_code != 503:
        assert time.monotonic() < deadline, "the balancer still reports ready with one bridge down"
        time.sleep(0.2)
    served = {requests.get(f"{url}/page", timeout=5).headers[balancer.SERVED_BY_HEADER] for _ in range(4)}
    assert served == {"bridge1"}  # the one left takes every request meanwhile


# --- deploy/: the Compose topology (Docker is not run here: syntax and HAProxy's check only) ----

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_compose_haproxy_config_is_valid_and_sticky(tmp_path):
    executable = real_haproxy()
    text = (DEPLOY / "haproxy.cfg").read_text()
    generated = balancer.haproxy_config("127.0.0.1:8080", [("bridge1", "127.0.0.1:8081")])
    for essential in ("cookie kuzey_bridge insert indirect nocache httponly", "option httpchk GET /health",
                      "timeout tunnel 1h", "option forwardfor", "http-request del-header X-Forwarded-For"):
        assert essential in text and essential in generated, essential
    # Compose's service names resolve only inside Compose: checked with local addresses instead.
    local = text.replace(" bridge1:8080", " 127.0.0.1:8081").replace(" bridge2:8080", " 127.0.0.1:8082")
    assert local != text
    (tmp_path / "haproxy.cfg").write_text(local)
    check = subprocess.run([executable, "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check.stdout + check.stderr


def test_the_compose_file_takes_every_secret_from_the_environment():
    import yaml

    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "actions", "rasa1", "rasa2", "bridge1", "bridge2", "haproxy"} <= set(services)
    assert [name for name, service in services.items() if "ports" in service] == ["haproxy"]
    for name, service in services.items():
        assert "healthcheck" in service or name == "prepare", name
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "TOKEN", "SECRET")):
                assert str(value).startswith("${"), f"{name}: {key} has a value in the file"
    assert services["bridge2"]["environment"]["TRUST_PROXY"] == "true"
    assert services["bridge1"]["environment"]["RASA_URLS"] == "http://rasa1:5005,http://rasa2:5005"
