"""Computed columns on hand-made rows: the cases the demo account does not show."""

from __future__ import annotations

from reconciler.inventory import derive
from reconciler.inventory.model import DAY, days_until

NOW = 1_767_225_600


def test_days_until_is_whole_days_and_none_without_a_date() -> None:
    assert days_until(NOW + 3 * DAY + 5, NOW) == 3
    assert days_until(NOW - DAY, NOW) == -1
    assert (days_until(None, NOW), days_until(0, NOW), days_until(True, NOW)) == (None, None, None)


def test_mailbox_forwarding_and_auto_reply() -> None:
    row: dict[str, object] = {}
    raw = {
        "redirection": [{"email": "a@example.org"}, "b@example.org"],
        "has_auto_responder": True,
        "auto_responder": {"is_active": False},
    }
    derive.mailbox(raw, row, NOW)
    assert row == {"forwarding": ["a@example.org", "b@example.org"], "auto_reply": False}
    derive.mailbox({"has_auto_responder": True}, row, NOW)
    assert row == {"forwarding": [], "auto_reply": True}


def test_domain_state_takes_its_own_zone_and_the_lock() -> None:
    row = {
        "name": "example.ch",
        "expires_at": NOW + 10 * DAY,
        "_epp": ["ok"],
        "_zones": [
            {"fqdn": "sub.example.ch", "nameservers": ["ns.other."], "dnssec": {"is_enabled": False}},
            {"fqdn": "example.ch", "nameservers": ["ns41.infomaniak.com"], "dnssec": {"is_enabled": True}},
        ],
    }
    derive.domain_state({}, row, NOW)
    assert (row["expires_in_days"], row["transfer_lock"], row["nameservers"], row["dnssec"]) == (
        10,
        False,
        ["ns41.infomaniak.com"],
        True,
    )


def test_invitation_age_grants_and_names() -> None:
    row: dict[str, object] = {}
    derive.invitation_age({"created_at": NOW - 40 * DAY}, row, NOW)
    assert row == {"age_days": 40}
    grants = {"permissions": [{"user": "u1", "rights": {"read": True, "admin": True}}, {"user": "u2"}]}
    derive.grants("permissions", "user")({}, grants, NOW)
    assert grants["permissions"] == ["u1:ra", "u2:-"]
    apps = {"applications": [{"type": "wordpress"}, "static"]}
    derive.names("applications", "type")({}, apps, NOW)
    assert apps["applications"] == ["wordpress", "static"]
    assert derive.pending({"invitation_id": 1, "state_in_account": "pending"})
    assert derive.member({"invitation_id": None, "state_in_account": "valid"})
