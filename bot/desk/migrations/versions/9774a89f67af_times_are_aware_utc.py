"""times are aware UTC (UtcDateTime columns): no change to the stored values

The desk's, the privacy and the studio tables have always stored naive UTC, which is what
`UtcDateTime` (actions/store/types.py) keeps in the column while Python sees aware UTC: the
schema and the data stay as they are, so this revision changes nothing. It marks the point
from which the code refuses naive times. (The shop's tables, which held Istanbul wall-clock
times, are converted by the store's revision d9f5442d9460.)

Revision ID: 9774a89f67af
Revises: 4c03bab20b1c
Create Date: 2026-12-02 18:40:00.000000
"""


revision = '9774a89f67af'
down_revision = '4c03bab20b1c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # desk values are UTC already


def downgrade() -> None:
    pass
