"""Every table, imported in one place so that Alembic sees the whole schema."""

from sqlmodel import SQLModel

from portfolio.funding.models import ExchangeRate, Pledge, Receipt
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.projects.models import (
    Indicator,
    Milestone,
    Project,
    ProjectActivity,
    ProjectArea,
    ProjectBeneficiary,
    ProjectStatusChange,
)
from portfolio.states.models import State

metadata = SQLModel.metadata

__all__ = [
    "ExchangeRate",
    "Indicator",
    "Milestone",
    "NationalProcess",
    "NationalProcessProject",
    "NationalProcessStageChange",
    "Pledge",
    "Project",
    "ProjectActivity",
    "ProjectArea",
    "ProjectBeneficiary",
    "ProjectStatusChange",
    "Receipt",
    "State",
    "metadata",
]
