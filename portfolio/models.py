"""Every table, imported in one place so that Alembic sees the whole schema."""

from sqlmodel import SQLModel

from portfolio.agreements.models import Agreement, Obligation
from portfolio.audit.models import AuditEntry
from portfolio.documents.models import Document, DocumentChunk
from portfolio.funding.models import ExchangeRate, Instalment, Pledge, Receipt
from portfolio.idempotency.models import IdempotencyKey
from portfolio.interests.models import Interest
from portfolio.norms.models import Norm
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.projects.models import (
    Indicator,
    Milestone,
    Project,
    ProjectActivity,
    ProjectArea,
    ProjectBeneficiary,
    ProjectNorm,
    ProjectStatusChange,
)
from portfolio.reminders.models import CalendarFeed, ReminderSent
from portfolio.spending.models import BudgetLine, BudgetRevision, Charge, Expenditure
from portfolio.states.models import State
from portfolio.users.models import LoginThrottle, SignInFailure, User

metadata = SQLModel.metadata

__all__ = [
    "Agreement",
    "AuditEntry",
    "BudgetLine",
    "BudgetRevision",
    "CalendarFeed",
    "Charge",
    "Document",
    "DocumentChunk",
    "ExchangeRate",
    "Expenditure",
    "IdempotencyKey",
    "Indicator",
    "Instalment",
    "Interest",
    "LoginThrottle",
    "Milestone",
    "NationalProcess",
    "NationalProcessProject",
    "NationalProcessStageChange",
    "Norm",
    "Obligation",
    "Pledge",
    "Project",
    "ProjectActivity",
    "ProjectArea",
    "ProjectBeneficiary",
    "ProjectNorm",
    "ProjectStatusChange",
    "Receipt",
    "ReminderSent",
    "SignInFailure",
    "State",
    "User",
    "metadata",
]
