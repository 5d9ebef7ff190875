from pydantic import BaseModel, Field


class CalendarFeedRead(BaseModel):
    """A new calendar feed: its URL, to paste into a calendar client, and the token in it."""

    url: str = Field(
        description="The feed's address (https://…/api/v1/calendar.ics?token=…): anyone who has it can read "
        "the calendar, so keep it as you would a password; a new feed or DELETE revokes it."
    )
    token: str = Field(description="The feed's token, shown this once: only its SHA-256 is kept.")
