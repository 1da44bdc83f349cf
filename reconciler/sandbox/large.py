"""A large simulated account, generated (never stored): the figures in ``docs/performance.md`` come from it.

``infomaniak-gitops sandbox reset --account large`` writes it as the sandbox state. It keeps the demo
account's identity (account, profile, the demo's own zones, mail, drive, teams and tags) and adds:

* 50 zones × 200 records (``large-00.example`` … with A, AAAA, MX, TXT, CNAME and SRV records);
* 20 mail hostings × 50 mailboxes, with sender lists;
* 5 drives × 500 share links (public, inherit and password links in 10 folders per drive);
* 100 teams × 10 members among 200 account users;
* 50 tags.

Generated from indexes only, so two runs (and two machines) build the same account, ids included.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.dirty import ACCOUNTS as _SMALL_ACCOUNTS
from reconciler.sandbox.state import SandboxState

ZONES = 50
RECORDS_PER_ZONE = 200
MAIL_HOSTINGS = 20
MAILBOXES_PER_HOSTING = 50
DRIVES = 5
LINKS_PER_DRIVE = 500
TEAMS = 100
MEMBERS_PER_TEAM = 10
USERS = 200
TAGS = 50

_NOW = 1767225600


def _product(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    product = copy.deepcopy(template)
    product.update(changes)
    product["unique_id"] = product["id"]
    return product


def _records(state: SandboxState, zone: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(source: str, rtype: str, target: str, ttl: int = 3600) -> None:
        rows.append(
            {
                "id": state.new_id(),
                "source": source,
                "type": rtype,
                "ttl": ttl,
                "target": target,
                "updated_at": _NOW - 86_400,
            }
        )

    add(".", "NS", "ns41.infomaniak.com")
    add(".", "NS", "ns42.infomaniak.com")
    add(".", "MX", "10 mta-gw.infomaniak.ch")
    add(".", "TXT", '"v=spf1 include:spf.infomaniak.ch -all"')
    index = 0
    while len(rows) < RECORDS_PER_ZONE:
        name = f"host{index:03d}"
        kind = index % 10
        if kind < 4:
            add(name, "A", f"198.51.{zone}.{index % 250 + 1}", 300 if kind == 0 else 3600)
        elif kind < 6:
            add(name, "AAAA", f"2001:db8:{zone:x}::{index:x}")
        elif kind == 6:
            add(name, "CNAME", f"host{index - 1:03d}.large-{zone:02d}.example")
        elif kind == 7:
            add(
                name,
                "TXT",
                f'"site-verification={hashlib.sha256(f"{zone}/{index}".encode()).hexdigest()[:32]}"',
            )
        elif kind == 8:
            add(name, "MX", f"{10 + index % 3 * 10} mx{index % 3}.large-{zone:02d}.example")
        else:
            add(f"_sip{index:03d}._tcp", "SRV", f"10 60 5060 sip.large-{zone:02d}.example")
        index += 1
    return rows


def _users(state: SandboxState, account: int) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = state.data["account_users"][str(account)]
    template = users[-1]
    for index in range(USERS):
        user = copy.deepcopy(template)
        user.update(
            user_id=5100000 + index,
            first_name="User",
            last_name=f"{index:03d}",
            display_name=f"User {index:03d}",
            email=f"user{index:03d}@large.example",
            role_type="normal",
            state_in_account="valid",
            invitation_id=None,
            unique_key=f"user-{5100000 + index}",
        )
        users.append(user)
    return users[-USERS:]


def _teams(state: SandboxState, account: int, users: list[dict[str, Any]]) -> None:
    teams = state.data["teams"][str(account)]
    template = teams[0]
    for index in range(TEAMS):
        team = copy.deepcopy(template)
        members = [users[(index * 7 + step * 13) % USERS]["user_id"] for step in range(MEMBERS_PER_TEAM)]
        team.update(id=state.new_id(), name=f"Team {index:03d}", color_id=index % 10 + 1, user_ids=members)
        teams.append(team)


def _tags(state: SandboxState, account: int) -> None:
    tags = state.data["tags"][str(account)]
    for index in range(TAGS):
        tags.append(
            {"id": state.new_id(), "name": f"tag-{index:02d}", "color": index % 10 + 1, "product_count": 0}
        )


def _mail(state: SandboxState, account: int, template: dict[str, Any], product: dict[str, Any]) -> None:
    hosting_template = state.data["mail_hostings"][0]
    mailbox_template = state.data["mailboxes"][str(hosting_template["id"])][0]
    for index in range(MAIL_HOSTINGS):
        domain = f"large-{index:02d}.example"
        hosting_id = 2400000 + index
        state.products.append(_product(product, id=hosting_id, customer_name=domain))
        hosting = copy.deepcopy(hosting_template)
        hosting.update(
            id=hosting_id,
            unique_id=hosting_id,
            account_id=account,
            customer_name=domain,
            main_fqdn=domain,
            main_fqdn_idn=domain,
            quota=MAILBOXES_PER_HOSTING,
            used=MAILBOXES_PER_HOSTING,
            total=MAILBOXES_PER_HOSTING,
        )
        state.data["mail_hostings"].append(hosting)
        boxes = []
        for number in range(MAILBOXES_PER_HOSTING):
            box = copy.deepcopy(mailbox_template)
            box.update(
                mailbox_name=f"box{number:02d}",
                mailbox_id=state.new_id(),
                authorized_senders=[f"partner{number % 5}@partner.example"] if number % 3 == 0 else [],
                blocked_senders=[f"spam{number % 4}@bad.example"] if number % 4 == 0 else [],
                has_move_spam=number % 2 == 0,
                aliases=[],
            )
            boxes.append(box)
        state.data["mailboxes"][str(hosting_id)] = boxes
    del template


def _drives(state: SandboxState, account: int, product: dict[str, Any]) -> None:
    drive_template = state.data["drives"][0]
    author = int(state.profile.get("id", 0))
    for index in range(DRIVES):
        drive_id = 150000 + index
        product_id = 4100000 + index
        name = f"Large Drive {index}"
        state.products.append(_product(product, id=product_id, customer_name=name))
        drive = copy.deepcopy(drive_template)
        drive.update(id=drive_id, name=name, account_id=account, product_id=product_id)
        state.data["drives"].append(drive)
        files: list[dict[str, Any]] = []
        folders = 10
        for folder in range(folders):
            files.append(
                {
                    "id": 10 + folder,
                    "name": f"Folder {folder}",
                    "type": "dir",
                    "parent_id": 1,
                    "created_at": 1700001000,
                }
            )
        for number in range(LINKS_PER_DRIVE):
            file_id = 1000 + number
            right = "public" if number % 5 else ("password" if number % 10 == 0 else "inherit")
            link: dict[str, Any] = {
                "right": right,
                "valid_until": None if number % 7 else 1798761600,
                "capabilities": {
                    "can_edit": False,
                    "can_see_stats": number % 2 == 0,
                    "can_see_info": True,
                    "can_download": number % 3 != 0,
                    "can_comment": False,
                    "can_request_access": False,
                },
                "created_by": author,
                "created_at": 1731000100,
                "updated_at": 1731000100,
                "access_blocked": False,
                "views": number % 50,
                "uuid": hashlib.sha256(f"{drive_id}/{file_id}".encode()).hexdigest()[:36],
            }
            if right == "password":
                link["password_hash"] = hashlib.sha256(f"pw{number}".encode()).hexdigest()
            files.append(
                {
                    "id": file_id,
                    "name": f"document-{number:03d}.pdf",
                    "type": "file",
                    "parent_id": 10 + number % folders,
                    "size": 1000 + number,
                    "mime_type": "application/pdf",
                    "created_at": 1731000000,
                    "sharelink": link,
                }
            )
        state.data["drive_files"][str(drive_id)] = files


def large_account() -> SandboxState:
    """The demo account plus the large set of zones, mailboxes, links, teams and tags (see the docstring)."""
    state = SandboxState.demo()
    account = int(state.accounts[0]["id"])
    by_service = {p["service_name"]: p for p in state.products}
    for index in range(ZONES):
        fqdn = f"large-{index:02d}.example"
        state.products.append(_product(by_service["domain"], id=1700000 + index, customer_name=fqdn))
        state.zones[fqdn] = {
            "id": 990000 + index,
            "fqdn": fqdn,
            "dnssec": {"is_enabled": False},
            "nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"],
            "skel": "",
            "records": _records(state, index),
        }
    _mail(state, account, by_service["domain"], by_service["email_hosting"])
    _drives(state, account, by_service["drive"])
    users = _users(state, account)
    _teams(state, account, users)
    _tags(state, account)
    return state


ACCOUNTS: dict[str, Callable[[], SandboxState]] = {**_SMALL_ACCOUNTS, "large": large_account}
"""The accounts ``sandbox reset --account NAME`` can start from."""
