"""A small SMTP mailer on the standard library: one connection per message, STARTTLS and login if set."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

from portfolio.config import Settings


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends through the SMTP server of the settings (smtp_host, smtp_port, smtp_starttls, smtp_user,
    smtp_password). Any failure raises ``smtplib.SMTPException`` or ``OSError``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
            smtp.send_message(message)
