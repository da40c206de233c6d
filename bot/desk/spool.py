"""Shopper messages kept on local disk while the database cannot be reached.

The bridge stores every message before it answers; when the database is down it appends the
message here instead (one JSON line, flushed and fsynced) and writes it to the database as
soon as it is back, with its original time. A crash between writing a record to the database
and dropping it from the file can store that one message twice: never zero times.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List


class Spool:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: Dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as spool:
                spool.write(line)
                spool.flush()
                os.fsync(spool.fileno())

    def records(self) -> List[Dict[str, Any]]:
        with self._lock:
            if not self.path.exists():
                return []
            lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def __len__(self) -> int:
        return len(self.records())

    def drain(self, write: Callable[[Dict[str, Any]], None]) -> int:
        """Writes the records in order, dropping each from the file once written; stops at the
        first failure (the rest stay for the next try). Returns how many were written."""
        written = 0
        for record in self.records():
            write(record)
            written += 1
            self._drop_first()
        return written

    def _drop_first(self) -> None:
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
            rest = lines[1:]
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text("".join(rest), encoding="utf-8")
            os.replace(temporary, self.path)
