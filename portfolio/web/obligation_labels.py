"""What the pages call the reports an agreement asks for, their statuses and the agreements' earmarking: the
agreements' own words (:mod:`portfolio.agreements.labels`), which the reminders and the calendar feed use
too; translated where they are shown."""

from portfolio.agreements.labels import EARMARKING_LABELS, KIND_LABELS, STATE_LABELS

__all__ = ["EARMARKING_LABELS", "KIND_LABELS", "STATE_LABELS"]
