"""Where the time goes: py-spy samples of a running service, summarised.

`Recording` runs `py-spy record` on a process, 100 samples a second. Rasa is sampled only while
it runs Python code (where its CPU goes); the bridge, one event loop, also while it is blocked
(`--idle`), so that a commit waiting for the disk shows; the samples of its loop waiting for
sockets are counted apart. The raw format (collapsed stacks, one line per stack with its count)
is summarised by library and by function; the flame graph SVGs are kept for people.
"""
from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

PY_SPY = Path(sys.executable).parent / "py-spy"
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Which library a frame's file belongs to, first match wins.
LIBRARIES = [
    ("sqlalchemy", "SQLAlchemy"), ("sqlite3", "sqlite3"), ("engineio", "Socket.IO (engineio)"),
    ("socketio", "Socket.IO (socketio)"), ("aiohttp", "aiohttp"), ("multidict", "aiohttp"), ("yarl", "aiohttp"),
    ("bot/desk/frustration", "bridge: frustration scoring"), ("spacy", "spaCy"), ("thinc", "spaCy"),
    ("bot/desk", "bridge: desk code"), ("bot/", "project code (bot/)"), ("actions/", "project code (actions/)"),
    ("tensorflow", "TensorFlow"), ("keras", "TensorFlow"), ("numpy", "NumPy"), ("scipy", "SciPy"),
    ("sklearn", "scikit-learn"), ("rasa/nlu", "Rasa NLU"), ("rasa/core", "Rasa Core (dialogue)"),
    ("rasa/shared", "Rasa shared (events, trackers)"), ("rasa/", "Rasa other"), ("sanic", "Sanic"),
    ("json", "json"), ("asyncio", "asyncio"), ("logging", "logging"), ("ssl", "ssl"), ("jwt", "PyJWT"),
    ("dask", "Dask (Rasa's graph runner)"), ("copy.py", "copy (deep copies)"), ("jsonschema", "jsonschema"),
]
# Sanic's compiled request handling shows as functions without a file.
SANIC_FUNCTIONS = {"connection_task", "handle_request", "http1_response_header", "_run_response_middleware",
                   "http1_request_header", "read"}


# The innermost Python frame of a call into the database driver (its C code is not sampled).
SQL_CALLS = {"do_commit": "database: commit", "do_execute": "database: statements",
             "do_executemany": "database: statements", "do_execute_no_params": "database: statements",
             "do_rollback": "database: rollback", "connect": "database: connect"}
WAITING = {("select", "selectors.py"), ("poll", "selectors.py"), ("wait", "threading.py"),
           ("_wait_for_tstate_lock", "threading.py"), ("get", "queue.py"), ("sleep", "time")}


# Whose functions the inclusive list shows: the project's and Rasa's (py-spy names a file by its
# package path, e.g. `bot/desk/desk.py`, `rasa/core/processor.py`).
OWN_CODE = ("bot/", "actions/", "rasa/")


def available() -> bool:
    return PY_SPY.exists()


def category(function: str, file: str) -> str:
    """The library, with the database's commits and statements apart from the rest of SQLAlchemy."""
    if "sqlalchemy" in file and function in SQL_CALLS:
        return SQL_CALLS[function]
    if not file and function in SANIC_FUNCTIONS:
        return "Sanic"
    return library(file)


def library(file: str) -> str:
    for needle, name in LIBRARIES:
        if needle in file:
            return name
    return "other"


def parse_frame(frame: str) -> tuple:
    match = FRAME.match(frame.strip())
    return (match["function"], match["file"]) if match else (frame.strip(), "")


def waiting(function: str, file: str) -> bool:
    """A thread parked: the event loop waiting for sockets, or a thread waiting on a lock."""
    return (function, file.rsplit("/", 1)[-1]) in WAITING


def summarise(raw: Path, wall_clock: bool, top: int = 15) -> Dict[str, Any]:
    """Samples by library (the innermost Python frame) and the heaviest functions.

    Recorded with `--idle`, the samples of parked threads (the event loop in `select`) are
    counted apart: the rest is where the event loop's wall-clock time went, blocking calls
    such as a database commit's fsync included."""
    by_library: Counter = Counter()
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    total = parked = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        count = int(count)
        frames = [parse_frame(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        function, file = frames[-1]
        if waiting(function, file):
            parked += count
            continue
        total += count
        by_library[category(function, file)] += count
        self_time[f"{function} ({file})"] += count
        for function, file in set(frames):
            if file.startswith(OWN_CODE):
                inclusive[f"{function} ({file})"] += count
    share = lambda n: round(n / total, 3) if total else 0.0  # noqa: E731
    return {
        "wall_clock": wall_clock,  # recorded with --idle: blocked moments count, parked ones apart
        "samples": total,
        "parked_samples": parked,
        "by_library": [{"library": name, "share": share(n)} for name, n in by_library.most_common()],
        "self_top": [{"function": name, "share": share(n)} for name, n in self_time.most_common(top)],
        # Without the entry points every sample passes through (`python -m bot bridge`, `run`).
        "inclusive_top": [{"function": name, "share": share(n)} for name, n in inclusive.most_common()
                                  if n < 0.99 * total][:top],
    }


class Recording:
    """A running `py-spy record`; without a duration it stops (and writes) on SIGINT."""

    def __init__(self, pid: int, output: Path, fmt: str = "raw", duration: Optional[float] = None, idle: bool = False):
        self.pid, self.output, self.fmt, self.duration, self.idle = pid, output, fmt, duration, idle
        self.process: Optional[asyncio.subprocess.Process] = None

    async def start(self) -> "Recording":
        self.output.parent.mkdir(parents=True, exist_ok=True)
        args = [str(PY_SPY), "record", "--pid", str(self.pid), "--format", self.fmt, "--output", str(self.output),
                "--rate", "100"]
        if self.fmt == "raw":
            args.append("--function")
        if self.idle:
            args.append("--idle")
        if self.duration:
            args += ["--duration", str(int(self.duration))]
        self.process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL,
                                                            stderr=asyncio.subprocess.PIPE)
        return self

    async def wait(self) -> bool:
        """True when the output was written."""
        if self.process is None:
            return False
        _, stderr = await self.process.communicate()
        if self.process.returncode not in (0, -signal.SIGINT) and not self.output.exists():
            print(f"py-spy failed on pid {self.pid}: {stderr.decode(errors='replace')[-400:]}", flush=True)
        return self.output.exists()

    async def stop(self) -> bool:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        return await self.wait()


# The bridge is one event loop: with idle samples its blocking calls (a commit's fsync) show too.
# Rasa runs TensorFlow's thread pools, whose parked threads would drown the picture.
WALL_CLOCK = {"bridge"}


async def record_all(pids: Dict[str, int], folder: Path, label: str, seconds: float, fmt: str = "raw") -> List[Path]:
    """One recording of each process at the same time; the files written."""
    recordings = [await Recording(pid, folder / f"profile-{label}-{name}.{'txt' if fmt == 'raw' else 'svg'}",
                                  fmt, seconds, idle=name in WALL_CLOCK).start() for name, pid in pids.items()]
    written = []
    for recording in recordings:
        if await recording.wait():
            written.append(recording.output)
    return written
