"""names and titles in 拼音 order: beside each sorted text column, its stored
sort key (api.collation, api.storage.sortkeys), filled for the rows stored before; the
indexes that served the lists sorted by name now serve them by the key

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from api.storage.sortkeys import SORTED, Key, keyed

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# each table's primary key, which the filling updates by
PRIMARY = {
    "organizations": ("consortium_id", "id"),
    "placements": ("consortium_id", "round_id", "id"),
    "candidates": ("consortium_id", "round_id", "id"),
    "run_assignments": ("run_id", "candidate"),
}
BATCH = 1000
INDEXES = {
    "ix_candidates_name": ("candidates", ["consortium_id", "round_id"]),
    "ix_run_assignments_name": ("run_assignments", ["run_id"]),
}


def upgrade() -> None:
    for table, texts in SORTED.items():
        for key, _ in texts.values():
            op.add_column(table, sa.Column(key, Key, nullable=True))
        _fill(table, list(texts))
    for index, (table, leading) in INDEXES.items():
        op.drop_index(index, table)
        op.create_index(index, table, [*leading, "name_key"])


def _fill(table: str, texts: list[str]) -> None:
    """The keys of the rows stored before, a batch at a time in primary-key
    order (a deployment's run_assignments hold 100,000 rows a solved run)."""
    db = op.get_bind()
    keys = PRIMARY[table]
    order = ", ".join(keys)
    present = " OR ".join(f"{text} IS NOT NULL" for text in texts)
    after = f"({order}) > ({', '.join(f':{k}' for k in keys)})"
    written = ", ".join(f"{key} = :{key}" for key, _ in SORTED[table].values())
    update = sa.text(
        f"UPDATE {table} SET {written} WHERE {' AND '.join(f'{k} = :{k}' for k in keys)}"
    )
    last: dict[str, object] = {}
    while True:
        query = (
            f"SELECT {', '.join([*keys, *texts])} FROM {table} WHERE ({present})"
            f"{f' AND {after}' if last else ''} ORDER BY {order} LIMIT {BATCH}"
        )
        rows = [dict(row) for row in db.execute(sa.text(query), last).mappings()]
        if not rows:
            return
        db.execute(update, [{**row, **keyed(table, row)} for row in rows])
        last = {k: rows[-1][k] for k in keys}


def downgrade() -> None:
    for index, (table, leading) in INDEXES.items():
        op.drop_index(index, table)
        op.create_index(index, table, [*leading, "name"])
    for table, texts in SORTED.items():
        for key, _ in texts.values():
            op.drop_column(table, key)
