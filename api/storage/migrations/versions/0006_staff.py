"""staff counts for the intern-ratio rule: an enterprise's staff on post and
a placement's (the post's) staff

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("staff", sa.Integer(), nullable=True))
    with op.batch_alter_table("placements") as batch:
        batch.add_column(sa.Column("staff", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("placements") as batch:
        batch.drop_column("staff")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("staff")
