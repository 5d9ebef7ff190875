"""Languages are data: a norm's titles in other languages are rows, not a column per language.

- ``norm_title`` (norm_code, lang, title; one row per norm and language, deleted with its norm) holds the
  titles people recorded for a norm in the languages of the registry (``portfolio.languages``) other than
  English, which stays ``norm.title``. Every non-empty ``norm.title_fr`` is copied in as language ``fr``,
  but for a shipped norm's that is still the title the OSCE published: that one is reference data, shown
  from ``portfolio/reference/norm_titles.csv`` as the shipped Russian titles are (a later release may
  correct it there). The column goes.
- ``state.name_fr`` goes: the States are reference data, and the OSCE's own names of them in each language
  are read from the reference list shipped with the package (``portfolio/states/osce_states.csv``,
  ``portfolio.states.names``), as the English and French names were seeded from it.

Downgrading puts both columns back: ``norm.title_fr`` from the French rows of ``norm_title``, else (a
shipped norm) the OSCE's French title; titles in other languages are lost with the table.
``state.name_fr`` comes back from the reference list.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portfolio.norms.titles import shipped
from portfolio.states.reference import load_reference_states

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The language of the column this revision replaces: norm.title_fr, state.name_fr.
FRENCH = "fr"

norm = sa.table(
    "norm", sa.column("code", sa.String), sa.column("title_fr", sa.Text), sa.column("builtin", sa.Boolean)
)
norm_title = sa.table(
    "norm_title", sa.column("norm_code", sa.String), sa.column("lang", sa.String), sa.column("title", sa.Text)
)
state = sa.table(
    "state", sa.column("code", sa.String), sa.column("name", sa.String), sa.column("name_fr", sa.String)
)


def upgrade() -> None:
    op.create_table(
        "norm_title",
        sa.Column("norm_code", sa.String(length=40), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["norm_code"], ["norm.code"], name=op.f("fk_norm_title_norm_code_norm"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("norm_code", "lang", name=op.f("pk_norm_title")),
    )
    catalogue = shipped()
    recorded = [
        {"norm_code": code, "lang": FRENCH, "title": title}
        for code, title, builtin in op.get_bind()
        .execute(sa.select(norm.c.code, norm.c.title_fr, norm.c.builtin))
        .all()
        if title.strip() and not (builtin and title == catalogue.get((code, FRENCH)))
    ]
    if recorded:
        op.bulk_insert(norm_title, recorded)
    with op.batch_alter_table("norm") as batch:
        batch.drop_column("title_fr")
    with op.batch_alter_table("state") as batch:
        batch.drop_column("name_fr")


def downgrade() -> None:
    with op.batch_alter_table("state") as batch:
        batch.add_column(sa.Column("name_fr", sa.String(length=100), nullable=False, server_default=""))
    for row in load_reference_states():
        name = row.names.get(FRENCH) or row.name
        op.execute(state.update().where(state.c.code == row.code).values(name_fr=name))
    op.execute(state.update().where(state.c.name_fr == "").values(name_fr=state.c.name))
    with op.batch_alter_table("state") as batch:
        batch.alter_column("name_fr", existing_type=sa.String(length=100), server_default=None)

    with op.batch_alter_table("norm") as batch:
        batch.add_column(sa.Column("title_fr", sa.Text(), server_default="", nullable=False))
    catalogue = shipped()
    connection = op.get_bind()
    french = dict(
        connection.execute(
            sa.select(norm_title.c.norm_code, norm_title.c.title).where(norm_title.c.lang == FRENCH)
        ).all()
    )
    for code, builtin in connection.execute(sa.select(norm.c.code, norm.c.builtin)).all():
        title = french.get(code) or (catalogue.get((code, FRENCH), "") if builtin else "")
        if title:
            op.execute(norm.update().where(norm.c.code == code).values(title_fr=title))
    op.drop_table("norm_title")
