"""seeds as 64-bit integers (the engine takes seeds up to 2⁶³−1; PostgreSQL's
INTEGER held only 2³¹−1, so a larger seed answered 500)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("rounds", "runs"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "seed", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
            )


def downgrade() -> None:
    for table in ("rounds", "runs"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "seed", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
            )
