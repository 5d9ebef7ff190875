"""Which passwords are refused, as NIST SP 800-63B (5.1.1.2) asks: those in lists of common and breached
passwords, repetitive or sequential ones, and those made of the account's own e-mail or name.

The judge is **zxcvbn** (Dropbox's estimator, MIT): it ships, inside the package, ranked lists of the 30,000
most common passwords of leaked corpora, English words, names and surnames, and finds repeats ("aaaa"),
sequences ("1234"), keyboard walks, dates and l33t spellings of all these; nothing is fetched at run time.
A password it expects to be guessed in fewer than a million tries (its scores 0 and 1) is refused, as is
one equal to the e-mail or the e-mail's local part. Beyond that, the login throttle bounds online guessing.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_GUESSES_LOG10 = 6  # fewer than 10**6 expected guesses: refused
JUDGED_CHARACTERS = 72  # zxcvbn's own bound (its cost grows fast with length); the rest only adds strength

TOO_EASY_MESSAGE = (
    "This password is too easy to guess: it is a common or breached password, a pattern such as aaaa or "
    "1234, or made of the account's e-mail or name. Choose a passphrase of several unrelated words."
)


def too_easy(password: str, email: str, full_name: str = "") -> bool:
    """Whether ``password`` is refused for an account with this e-mail (and name)."""
    email = email.lower()
    local = email.partition("@")[0]
    typed = password.strip().lower()
    if typed in {email, local}:
        return True
    inputs = [email, local, *local.replace("_", ".").replace("-", ".").split("."), *full_name.lower().split()]
    verdict = zxcvbn(password[:JUDGED_CHARACTERS], user_inputs=[i for i in inputs if i])
    return float(verdict["guesses_log10"]) < MIN_GUESSES_LOG10
