"""after publication: versions of a round's published result, changes to a
published round (who, when, why), the coordinator's overrides, the version a
re-match run starts from, and the round a second round follows; a round
published before gets its result as version 1

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.String(200)


def _round_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["consortium_id", "round_id"], ["rounds.consortium_id", "rounds.id"]
    )


def upgrade() -> None:
    versions = op.create_table(
        "versions",
        sa.Column("consortium_id", ID, primary_key=True),
        sa.Column("round_id", ID, primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("published_by", ID, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        _round_fk(),
    )
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("consortium_id", ID, nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("candidate", ID, nullable=True),
        sa.Column("placement", ID, nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _round_fk(),
    )
    op.create_index("ix_changes_round", "changes", ["consortium_id", "round_id"])
    op.create_table(
        "overrides",
        sa.Column("consortium_id", ID, primary_key=True),
        sa.Column("round_id", ID, primary_key=True),
        sa.Column("candidate", ID, primary_key=True),
        sa.Column("placement", ID, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _round_fk(),
    )
    # plain ALTER TABLE on both databases (SQLite 3.35 and later drops a
    # column in place; a batch copy of `rounds` would break the keys to it)
    op.add_column("runs", sa.Column("rematch_of", sa.Integer(), nullable=True))
    op.add_column("rounds", sa.Column("follows", ID, nullable=True))
    published = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT r.consortium_id, r.id, r.published_run, runs.finished_at, o.id "
                "FROM rounds r JOIN runs ON runs.id = r.published_run "
                "JOIN organizations o "
                "ON o.consortium_id = r.consortium_id AND o.kind = 'government' "
                "WHERE r.published_run IS NOT NULL"
            )
        )
        .all()
    )
    seen: set[tuple[str, str]] = set()
    rows = []
    for consortium, round_id, run, at, coordinator in published:
        if (consortium, round_id) not in seen:
            seen.add((consortium, round_id))
            rows.append(
                {
                    "consortium_id": consortium,
                    "round_id": round_id,
                    "number": 1,
                    "run_id": run,
                    "published_by": coordinator,
                    "published_at": at,
                }
            )
    if rows:
        op.bulk_insert(versions, rows)


def downgrade() -> None:
    op.drop_column("rounds", "follows")
    op.drop_column("runs", "rematch_of")
    op.drop_table("overrides")
    op.drop_index("ix_changes_round", table_name="changes")
    op.drop_table("changes")
    op.drop_table("versions")
