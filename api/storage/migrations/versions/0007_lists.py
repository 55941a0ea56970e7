"""lists at any size: a candidate's preferences as rows (applications), a
solved run's assignments as rows (run_assignments), and the indexes behind
the lists' filters; both tables filled from what is stored. Neither has a
foreign key: they are written in bulk (COPY on PostgreSQL, where a key is
checked a row at a time) by the repository, which deletes a candidate's
applications with it

Revision ID: 0007
Revises: 0006
"""

import json

import sqlalchemy as sa
from alembic import op

from api.storage import outcomes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(200)


def upgrade() -> None:
    applications = op.create_table(
        "applications",
        sa.Column("consortium_id", ID, primary_key=True),
        sa.Column("round_id", ID, primary_key=True),
        sa.Column("candidate", ID, primary_key=True),
        sa.Column("placement", ID, primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_applications_placement", "applications", ["consortium_id", "round_id", "placement"]
    )
    assignments = op.create_table(
        "run_assignments",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("candidate", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("number", sa.String(200), nullable=True),
        sa.Column("affiliation", ID, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("tier", sa.String(40), nullable=True),
        sa.Column("level", sa.String(40), nullable=True),
        sa.Column("placement", ID, nullable=True),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("host", ID, nullable=True),
        sa.Column("park", ID, nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("explanations", sa.JSON(), nullable=False),
    )
    for column in ("placement", "affiliation", "host", "park", "name"):
        op.create_index(f"ix_run_assignments_{column}", "run_assignments", ["run_id", column])
    for column in ("name", "college", "institute"):
        op.create_index(
            f"ix_candidates_{column}", "candidates", ["consortium_id", "round_id", column]
        )
    op.create_index("ix_placements_host", "placements", ["consortium_id", "round_id", "host"])
    _fill(applications, assignments)


def _fill(applications: sa.Table, assignments: sa.Table) -> None:
    """What the new tables hold for the rows stored before them."""
    db = op.get_bind()
    rows = []
    for consortium, round_id, cid, prefs in db.execute(
        sa.text("SELECT consortium_id, round_id, id, preferences FROM candidates")
    ):
        listed = json.loads(prefs) if isinstance(prefs, str) else prefs
        for pid, position in outcomes.applications(listed or []).items():
            rows.append(
                {
                    "consortium_id": consortium,
                    "round_id": round_id,
                    "candidate": cid,
                    "placement": pid,
                    "position": position,
                }
            )
    if rows:
        op.bulk_insert(applications, rows)
    solved = db.execute(
        sa.text(
            "SELECT runs.id, snapshots.document, run_results.document FROM runs"
            " JOIN run_results ON run_results.run_id = runs.id"
            " JOIN snapshots ON snapshots.hash = runs.input_hash"
        )
    ).all()
    for run_id, snapshot, result in solved:
        made = outcomes.rows(run_id, json.loads(snapshot), json.loads(result))
        if made:
            op.bulk_insert(assignments, made)


def downgrade() -> None:
    op.drop_index("ix_placements_host", "placements")
    for column in ("name", "college", "institute"):
        op.drop_index(f"ix_candidates_{column}", "candidates")
    op.drop_table("run_assignments")
    op.drop_table("applications")
