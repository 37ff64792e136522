"""polling stations: precincts, street aliases, the import log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False,
                  comment="the precinct file imported"),
        sa.Column("digest", sa.String(length=64), nullable=False,
                  comment="sha256 of the precinct file and its aliases file"),
        sa.Column("cities", sa.Text(), nullable=False,
                  comment="the cities (city_ru) it replaced, one per line"),
        sa.Column("precincts", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.Integer(), nullable=True,
                  comment="aliases imported; NULL when no aliases file was given"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_imports")),
    )
    op.create_table(
        "precincts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("city_kk", sa.String(length=100), nullable=False),
        sa.Column("city_ru", sa.String(length=100), nullable=False, comment="the city's key"),
        sa.Column("district_kk", sa.String(length=100), server_default="", nullable=False),
        sa.Column("district_ru", sa.String(length=100), server_default="", nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="precinct number"),
        sa.Column("name_kk", sa.String(length=300), nullable=False),
        sa.Column("name_ru", sa.String(length=300), nullable=False),
        sa.Column("address_kk", sa.String(length=300), nullable=False),
        sa.Column("address_ru", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=40), server_default="", nullable=False,
                  comment="empty when unknown"),
        sa.Column("hours", sa.String(length=20), nullable=False),
        sa.Column("boundary", sa.Text(), nullable=False,
                  comment="streets and microdistricts, knowledge/polling_stations/README.md "
                          "syntax"),
        sa.Column("source", sa.String(length=300), nullable=False,
                  comment="the decision that set the boundary; 'sample' for synthetic data"),
        sa.ForeignKeyConstraint(["import_id"], ["station_imports.id"],
                                name=op.f("fk_precincts_import_id_station_imports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precincts")),
        sa.UniqueConstraint("city_ru", "number", name="uq_precincts_city_number"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("precincts") as batch:
        batch.create_index(batch.f("ix_precincts_import_id"), ["import_id"], unique=False)
    op.create_table(
        "street_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("city_ru", sa.String(length=100), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False,
                  comment="the street as named in the boundaries"),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=3), nullable=False, comment="kk, ru or lat"),
        sa.Column("kind", sa.String(length=10), nullable=False, comment="name, old or variant"),
        sa.ForeignKeyConstraint(["import_id"], ["station_imports.id"],
                                name=op.f("fk_street_aliases_import_id_station_imports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_aliases")),
    )
    with op.batch_alter_table("street_aliases") as batch:
        batch.create_index(batch.f("ix_street_aliases_import_id"), ["import_id"], unique=False)
        batch.create_index(batch.f("ix_street_aliases_city_ru"), ["city_ru"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("street_aliases") as batch:
        batch.drop_index(batch.f("ix_street_aliases_city_ru"))
        batch.drop_index(batch.f("ix_street_aliases_import_id"))
    op.drop_table("street_aliases")
    with op.batch_alter_table("precincts") as batch:
        batch.drop_index(batch.f("ix_precincts_import_id"))
    op.drop_table("precincts")
    op.drop_table("station_imports")
