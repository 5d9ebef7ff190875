"""Results that add up, the norms projects implement, and donors' interest in needs seeking funding.

- ``indicator`` gains a standard measure (null: a free indicator) and, for people counts, women and men of
  the target and of the actual. Existing indicators stay free indicators.
- ``norm`` is the catalogue of OSCE norms (the two Documents and the Best Practice Guides), seeded here and
  extendable by administrators; ``project_norm`` links a project to the norms it implements.
- ``interest`` holds a donor's expressed interest in a project (amount, currency, note) until staff turn it
  into a pledge or it is withdrawn.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portfolio.db

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_KWARGS = {"sqlite_autoincrement": True}

# The catalogue as shipped: code, English title, French title, kind, year adopted (or last updated).
NORMS: list[tuple[str, str, str, str, int]] = [
    ("doc-salw", "OSCE Document on Small Arms and Light Weapons",
     "Document de l'OSCE sur les armes légères et de petit calibre", "document", 2000),
    ("doc-sca", "OSCE Document on Stockpiles of Conventional Ammunition",
     "Document de l'OSCE sur les stocks de munitions conventionnelles", "document", 2003),
    ("bpg-salw-marking", "Best Practice Guide on National Marking Systems for SALW",
     "Guide des meilleures pratiques sur les systèmes nationaux de marquage des ALPC", "guide", 2003),
    ("bpg-salw-stockpile", "Best Practice Guide on National Procedures for Stockpile Management and Security",
     "Guide des meilleures pratiques sur les procédures nationales de gestion et de sécurité des stocks",
     "guide", 2003),
    ("bpg-salw-destruction", "Best Practice Guide on National Procedures for the Destruction of SALW",
     "Guide des meilleures pratiques sur les procédures nationales de destruction des ALPC", "guide", 2003),
    ("bpg-salw-deactivation",
     "Best Practice Guide on Minimum Standards for National Procedures for the Deactivation of SALW",
     "Guide des meilleures pratiques sur les normes minimales des procédures nationales de neutralisation "
     "des ALPC", "guide", 2018),
    ("bpg-salw-surplus", "Best Practice Guide on the Definition and Indicators of a Surplus of SALW",
     "Guide des meilleures pratiques sur la définition et les indicateurs d'un surplus d'ALPC",
     "guide", 2003),
    ("bpg-salw-export", "Best Practice Guide on Export Control of SALW",
     "Guide des meilleures pratiques sur le contrôle des exportations d'ALPC", "guide", 2003),
    ("bpg-salw-brokering", "Best Practice Guide on National Control of Brokering Activities",
     "Guide des meilleures pratiques sur le contrôle national des activités de courtage", "guide", 2003),
    ("bpg-sca-marking", "Best Practice Guide on Ammunition Marking, Registration and Record-keeping",
     "Guide des meilleures pratiques sur le marquage, l'enregistrement et la tenue des registres des "
     "munitions", "guide", 2008),
    ("bpg-sca-stockpile", "Best Practice Guide on the Stockpile Management of Conventional Ammunition",
     "Guide des meilleures pratiques sur la gestion des stocks de munitions conventionnelles", "guide", 2008),
    ("bpg-sca-destruction", "Best Practice Guide on the Destruction of Conventional Ammunition",
     "Guide des meilleures pratiques sur la destruction des munitions conventionnelles", "guide", 2008),
    ("bpg-sca-security", "Best Practice Guide on the Physical Security of Conventional Ammunition Stockpiles",
     "Guide des meilleures pratiques sur la sécurité physique des stocks de munitions conventionnelles",
     "guide", 2008),
    ("bpg-sca-transport", "Best Practice Guide on the Transportation of Conventional Ammunition",
     "Guide des meilleures pratiques sur le transport des munitions conventionnelles", "guide", 2008),
    ("bpg-sca-surplus",
     "Best Practice Guide on the Definition and Indicators of a Surplus of Conventional Ammunition",
     "Guide des meilleures pratiques sur la définition et les indicateurs d'un surplus de munitions "
     "conventionnelles", "guide", 2008),
]  # fmt: skip

QUANTITY = portfolio.db.ExactDecimal(precision=18, scale=4)


def upgrade() -> None:
    norm = op.create_table(
        "norm",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_fr", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("adopted", sa.Integer(), nullable=True),
        sa.Column("builtin", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    now = datetime(2026, 12, 2, tzinfo=UTC)  # when the catalogue shipped: the same in every database
    op.bulk_insert(
        norm,
        [
            {"code": c, "title": t, "title_fr": f, "kind": k, "adopted": y, "builtin": True}
            | {"created_at": now}
            for c, t, f, k, y in NORMS
        ],
    )
    op.create_table(
        "project_norm",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("norm_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["norm_code"], ["norm.code"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("project_id", "norm_code"),
    )
    op.create_index(op.f("ix_project_norm_norm_code"), "project_norm", ["norm_code"], unique=False)
    op.create_table(
        "interest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("donor", sa.String(length=3), nullable=False),
        sa.Column("amount", portfolio.db.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portfolio.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["donor"], ["state.code"]),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_interest_project_id"), "interest", ["project_id"], unique=False)
    op.create_index(op.f("ix_interest_donor"), "interest", ["donor"], unique=False)
    op.create_index(op.f("ix_interest_status"), "interest", ["status"], unique=False)
    with op.batch_alter_table("indicator", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("measure", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("target_women", QUANTITY, nullable=True))
        batch.add_column(sa.Column("target_men", QUANTITY, nullable=True))
        batch.add_column(sa.Column("actual_women", QUANTITY, nullable=True))
        batch.add_column(sa.Column("actual_men", QUANTITY, nullable=True))
        batch.create_index(batch.f("ix_indicator_measure"), ["measure"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("indicator", table_kwargs=TABLE_KWARGS) as batch:
        batch.drop_index(batch.f("ix_indicator_measure"))
        for column in ("actual_men", "actual_women", "target_men", "target_women", "measure"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_interest_status"), table_name="interest")
    op.drop_index(op.f("ix_interest_donor"), table_name="interest")
    op.drop_index(op.f("ix_interest_project_id"), table_name="interest")
    op.drop_table("interest")
    op.drop_index(op.f("ix_project_norm_norm_code"), table_name="project_norm")
    op.drop_table("project_norm")
    op.drop_table("norm")
