"""people and a record anyone can check: accounts within organizations
(Argon2id password hashes, failed sign-ins, locks), their sessions, tokens
named, expiring, revocable and stamped when used; the audit trail, appended
only (a trigger refuses UPDATE and DELETE on SQLite and PostgreSQL alike),
each entry carrying the hash of the one before; publication bundles

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.String(200)
WHEN = sa.DateTime(timezone=True)
NEVER = "audit entries are never changed or deleted"


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("consortium_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("login", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["consortium_id", "organization_id"],
            ["organizations.consortium_id", "organizations.id"],
        ),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_seen_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
    )
    op.create_index("ix_sessions_person_id", "sessions", ["person_id"])
    for column in (
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("expires_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("last_used_at", WHEN, nullable=True),
    ):
        op.add_column("tokens", column)
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("consortium_id", ID, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("organization_id", ID, nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("who", sa.String(400), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("object", sa.String(2000), nullable=False),
        sa.Column("before", sa.String(200), nullable=True),
        sa.Column("after", sa.String(200), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_consortium_id", "audit", ["consortium_id"])
    op.create_table(
        "bundles",
        sa.Column("consortium_id", ID, primary_key=True),
        sa.Column("round_id", ID, primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_never_changes() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{NEVER}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_never_changes()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit "
                f"BEGIN SELECT RAISE(ABORT, '{NEVER}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_append_only ON audit")
        op.execute("DROP FUNCTION audit_never_changes()")
    op.drop_table("bundles")
    op.drop_index("ix_audit_consortium_id", table_name="audit")
    op.drop_table("audit")
    for column in ("last_used_at", "revoked_at", "expires_at", "created_by", "name"):
        op.drop_column("tokens", column)
    op.drop_index("ix_sessions_person_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("people")
