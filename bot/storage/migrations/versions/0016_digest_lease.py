"""A weekly digest's claim holds for a while, until the digest is sent: a claim
left by an instance killed before sending (it never gave the claim back) is
taken again by a later round, so the week's digest is not lost

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_digests") as batch:
        batch.add_column(sa.Column(
            "lease_until", sa.Float, nullable=True,
            comment="unix time until which the instance that claimed the digest may send "
                    "it; null once sent (and for digests sent before it was recorded)"))


def downgrade() -> None:
    with op.batch_alter_table("staff_digests") as batch:
        batch.drop_column("lease_until")
