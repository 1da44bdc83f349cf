"""Share-link passwords: where they come from, and the fingerprint that stands in for them in plans.

The API never returns a link's password, so the tool cannot compare it with the desired one. Instead:

* the desired side turns the value of the environment variable into a *fingerprint* (:func:`fingerprint`);
* after a successful apply the engine records that fingerprint (``RunContext.secret_fingerprints``, key
  ``share_links/<drive>/<path>/password``) in the last-apply file;
* the live side reports, for a password-protected link, the fingerprint recorded at the last apply, or
  :data:`KEPT` when the tool never set this link's password.

So a password change is planned exactly when the environment value's fingerprint differs from the recorded
one (a new ``rotate`` mark changes the fingerprint too), and a link whose password someone else set is only
touched when the file asks for a password from the environment.

Why salted, and why PBKDF2: the fingerprint enters the plan hash and is stored in the last-apply file (never
in plans, which show ``(sensitive)``). Salting with the drive and path makes two links that share a password
get different fingerprints (nothing leaks which links share one) and defeats precomputed tables; PBKDF2's
iterations make guessing a weak password from a leaked last-apply file slow. The salt is not secret and need
not be: it only has to be different per link and stable between runs.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

KEPT = "kept"
"""Password state meaning "whatever the live link has": ``password: {keep: true}`` in YAML, and the live
value of a protected link whose password this tool has not set (or has no record of)."""

FINGERPRINT_PREFIX = "pbkdf2-sha256:"
_ITERATIONS = 20_000


def fingerprint_key(scope: str, path: str) -> str:
    """Where the engine records the fingerprint: ``kind/scope/display_key/field``."""
    return f"share_links/{scope}/{path}/password"


@lru_cache(maxsize=256)
def _derive(salt: str, value: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", value.encode(), salt.encode(), _ITERATIONS).hex()


def fingerprint(scope: str, path: str, value: str, *, rotation: str | None = None) -> str:
    """The non-reversible stand-in for a password, salted per link (drive + path).

    A ``rotate`` mark joins the salt: a new mark is a new fingerprint, so exactly one password update is
    planned (sending the same value again), and once it is applied and recorded the plan is clean.
    """
    salt = f"infomaniak-gitops/share_links/{scope}/{path}"
    if rotation is not None:
        salt += f"/rotate={rotation}"
    return FINGERPRINT_PREFIX + _derive(salt, value)


def read_env(name: str) -> str | None:
    """The password in environment variable ``name``; None when it is unset or empty."""
    value = os.environ.get(name)
    return value if value else None
