"""The local spool of shopper messages while the database is down."""
import pytest

from bot.desk.spool import Spool


def test_records_come_back_in_order_and_leave_the_file_once_written(tmp_path):
    spool = Spool(tmp_path / "spool" / "messages.jsonl")
    for n in range(3):
        spool.append({"conversation_id": "c1", "text": f"mesaj {n} — ğüşiöç 😀 <b>", "at": f"2026-11-30T10:00:0{n}Z"})
    written = []
    assert spool.drain(written.append) == 3
    assert [r["text"] for r in written] == [f"mesaj {n} — ğüşiöç 😀 <b>" for n in range(3)]
    assert spool.records() == [] and len(Spool(spool.path)) == 0


def test_a_failing_write_keeps_that_record_and_the_rest_for_the_next_try(tmp_path):
    spool = Spool(tmp_path / "messages.jsonl")
    for n in range(3):
        spool.append({"n": n})
    written = []

    def write(record):
        if record["n"] == 1:
            raise ConnectionError("still down")
        written.append(record["n"])

    with pytest.raises(ConnectionError):
        spool.drain(write)
    assert written == [0] and [r["n"] for r in Spool(spool.path).records()] == [1, 2]  # also after a restart
    assert spool.drain(lambda record: written.append(record["n"])) == 2 and written == [0, 1, 2]
