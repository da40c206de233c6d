"""The machine the figures were measured on, and how busy it was."""
from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from importlib import metadata
from typing import Any, Dict, List

import psutil

from bot.settings import PROJECT_ROOT

PACKAGES = ("rasa", "rasa-sdk", "tensorflow", "spacy", "sanic", "python-socketio", "python-engineio", "aiohttp",
            "SQLAlchemy", "psutil", "py-spy", "matplotlib")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def os_name() -> str:
    try:
        for line in open("/etc/os-release", encoding="utf-8"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def versions() -> Dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def busy_processes(exclude: List[int], limit: int = 5) -> List[Dict[str, Any]]:
    """The processes (not ours) using the most CPU over one second: a shared machine's other work."""
    candidates = []
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        if process.pid in exclude:
            continue
        try:
            process.cpu_percent(None)
            candidates.append(process)
        except psutil.Error:
            continue
    time.sleep(1.0)
    usage = []
    for process in candidates:
        try:
            cpu = process.cpu_percent(None)
            if cpu >= 5:
                command = " ".join(process.info["cmdline"] or [process.info["name"] or ""])[:120]
                usage.append({"pid": process.pid, "cpu": cpu, "command": command})
        except psutil.Error:
            continue
    return sorted(usage, key=lambda u: -u["cpu"])[:limit]


def load_snapshot(exclude: List[int] = ()) -> Dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {"loadavg": [round(one, 2), round(five, 2), round(fifteen, 2)],
            "busy_processes": busy_processes(list(exclude) + [os.getpid()])}


def describe() -> Dict[str, Any]:
    memory = psutil.virtual_memory()
    commit = git("rev-parse", "HEAD")
    return {
        "cpu_model": cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(memory.total / 2**30, 1),
        "os": os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions(),
        "git_commit": commit,
        "git_dirty": bool(git("status", "--porcelain")),
        "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }
