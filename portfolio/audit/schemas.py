from datetime import datetime
from typing import Any

from pydantic import Field

from portfolio.pagination import Page
from portfolio.schemas import Output


class AuditEntryRead(Output):
    id: int
    at: datetime
    user_id: int | None = Field(description="Who made the change; null for the system or an anonymous login.")
    action: str = Field(
        examples=["update"],
        description="create, update, delete, transition, reopen, stage_change, outcome (a follow-up check's "
        "result), login_failed, lock",
    )
    entity: str = Field(examples=["pledge"])
    entity_id: int | None
    project_id: int | None = Field(description="The project the record belongs to, where it belongs to one.")
    changes: dict[str, Any] = Field(description="{field: [old, new]}; a delete keeps the full last state.")


AuditPage = Page[AuditEntryRead]
