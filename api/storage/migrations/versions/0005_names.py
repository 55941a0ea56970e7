"""names, not only ids: a candidate's name and number (学号 / 工号), a
placement's title and description

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("number", sa.String(200), nullable=True))
        batch.create_index("ix_candidates_number", ["consortium_id", "round_id", "number"])
    with op.batch_alter_table("placements") as batch:
        batch.add_column(sa.Column("title", sa.String(200), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("placements") as batch:
        batch.drop_column("description")
        batch.drop_column("title")
    with op.batch_alter_table("candidates") as batch:
        batch.drop_index("ix_candidates_number")
        batch.drop_column("number")
        batch.drop_column("name")
