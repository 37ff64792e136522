"""What the citizen got for each logged question: answered, clarified,
redirected or abstained (the gap report tells a missing page from two
overlapping ones by it)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column(
            "outcome", sa.String(10), nullable=True,
            comment="what the citizen got: answered, clarified, redirected or abstained "
                    "(null: logged before this was recorded)"))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("outcome")
