"""shop times from Istanbul wall clock to UTC

Until this revision the shop's tables held naive local times (the shop's wall clock,
Europe/Istanbul). From now on every time column holds naive UTC, read and written as aware UTC by
`UtcDateTime` (actions/store/types.py); the schema does not change, only the stored values.

Each value is converted by the zone's rules of its own date: UTC+2 in winter and UTC+3 in
summer until September 2016, UTC+3 all year since. A wall-clock time that happened twice (the
hour repeated when summer time ended) is taken as its first occurrence; one that never happened
(the hour skipped in spring) with the offset in force before the change. The demo anchor in
`store_meta` (an ISO text) is rewritten with its offset. The downgrade converts back.

Rows are converted in Python with the tz database of `zoneinfo` (SQLite has none), one table
at a time in the migration's transaction: fine for the shop's size here; a very large table
would want batches or PostgreSQL's `AT TIME ZONE`.

Revision ID: d9f5442d9460
Revises: ce4f0fe96bcb
Create Date: 2026-12-02 18:40:00.000000
"""
from datetime import datetime, timezone
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = 'd9f5442d9460'
down_revision = 'ce4f0fe96bcb'
branch_labels = None
depends_on = None

# Written out here rather than imported: a migration keeps meaning what it meant when written.
ZONE = ZoneInfo("Europe/Istanbul")
TIME_COLUMNS = {  # table: (primary key, its time columns)
    "orders": ("order_no", ("placed_at", "cancelled_at")),
    "shipments": ("order_no", ("shipped_at", "delivered_at")),
    "return_requests": ("rma_code", ("opened_at",)),
    "complaint_tickets": ("id", ("created_at", "respond_by")),
    "failed_proofs": ("id", ("failed_at",)),
    "proof_alerts": ("id", ("raised_at",)),
}
ANCHOR_KEY = "demo_anchor"


def local_to_utc(local: Optional[datetime]) -> Optional[datetime]:
    if local is None:
        return None
    return local.replace(tzinfo=ZONE).astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(utc: Optional[datetime]) -> Optional[datetime]:
    if utc is None:
        return None
    return utc.replace(tzinfo=timezone.utc).astimezone(ZONE).replace(tzinfo=None)


def _convert_rows(convert: Callable[[Optional[datetime]], Optional[datetime]]) -> None:
    bind = op.get_bind()
    for name, (key, columns) in TIME_COLUMNS.items():
        table = sa.table(name, sa.column(key), *(sa.column(column, sa.DateTime()) for column in columns))
        rows = bind.execute(sa.select(table)).mappings().all()
        if not rows:
            continue
        statement = (table.update().where(table.c[key] == sa.bindparam("row_key"))
                     .values({column: sa.bindparam(f"new_{column}", type_=sa.DateTime()) for column in columns}))
        bind.execute(statement, [{"row_key": row[key], **{f"new_{column}": convert(row[column]) for column in columns}}
                                 for row in rows])


def _rewrite_anchor(convert: Callable[[str], Optional[str]]) -> None:
    bind = op.get_bind()
    meta = sa.table("store_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    value = bind.execute(sa.select(meta.c.value).where(meta.c.key == ANCHOR_KEY)).scalar()
    new_value = convert(value) if value else None
    if new_value is not None:
        bind.execute(meta.update().where(meta.c.key == ANCHOR_KEY).values(value=new_value))


def _anchor_to_utc(value: str) -> Optional[str]:
    anchor = datetime.fromisoformat(value)
    if anchor.tzinfo is not None:
        return None  # already written with its offset
    return anchor.replace(tzinfo=ZONE).astimezone(timezone.utc).isoformat()


def _anchor_to_local(value: str) -> Optional[str]:
    anchor = datetime.fromisoformat(value)
    if anchor.tzinfo is None:
        return None
    return anchor.astimezone(ZONE).replace(tzinfo=None).isoformat()


def upgrade() -> None:
    _convert_rows(local_to_utc)
    _rewrite_anchor(_anchor_to_utc)


def downgrade() -> None:
    _convert_rows(utc_to_local)
    _rewrite_anchor(_anchor_to_local)
