"""Mailbox security: the hosting's spam filter, move_spam, wildcard senders, senders in both lists."""

from __future__ import annotations

import pytest

from reconciler.audits.mailbox import wildcard_reason
from reconciler.sandbox.dirty import dirty_state
from tests.audits.helpers import audit, brief

pytestmark = pytest.mark.anyio


def test_wildcards_are_stars_and_public_provider_domains() -> None:
    assert wildcard_reason("*@example.com") == "'*@example.com' is a wildcard"
    assert wildcard_reason("Gmail.com") == "'Gmail.com' authorizes every address of a public mail provider"
    assert wildcard_reason("partner.example") is None  # a partner's own domain is a deliberate choice
    assert wildcard_reason("someone@gmail.com") is None


async def test_dirty_mailboxes() -> None:
    report = await audit(dirty_state(), ["mailboxes"])
    assert brief(report) == [
        ("high", "mailboxes", "mail_settings/example.ch/spam_filter"),
        ("medium", "mailboxes", "mailbox_security/example.ch/ceo@example.ch"),
        ("medium", "mailboxes", "mailbox_security/example.ch/sales@example.ch"),
        ("low", "mailboxes", "mailbox_security/example.ch/info@example.ch"),
    ]
    ceo = report.findings[1]
    assert ceo.edit is not None
    assert ceo.edit.set == {"authorized_senders": ["assistant@example.ch", "newsletter@vendor.example"]}
    assert (
        report.findings[3].problem
        == "spam@bad.example both blocked and authorized: which list wins is not documented"
    )
