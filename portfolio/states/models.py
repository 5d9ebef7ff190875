from sqlmodel import Field, SQLModel


class State(SQLModel, table=True):
    """An OSCE participating State or Partner for Co-operation (reference data, loaded by a migration)."""

    __tablename__ = "state"

    code: str = Field(primary_key=True, max_length=3, description="ISO 3166-1 alpha-3")
    iso2: str = Field(max_length=2, unique=True)
    name: str = Field(max_length=100, description="The English name; in other languages: states.names")
    kind: str = Field(max_length=20, index=True)
    partner_group: str | None = Field(default=None, max_length=20)
