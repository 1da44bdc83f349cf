"""Desired state: load, validate, edit and save the YAML files of a state directory."""

from __future__ import annotations

from reconciler.desired.config import CONFIG_FILE, AccountConfig, SafetyConfig
from reconciler.desired.edit import (
    EditResult,
    check_scope,
    read_scope,
    remove_entry,
    scope_path,
    set_entry,
    shown_path,
    write_scope,
)
from reconciler.desired.limits import Limits, check_value
from reconciler.desired.loader import (
    NO_STATE_DIR_HINT,
    STATE_DIR_MISSING,
    DesiredState,
    FileSource,
    ScopeDesired,
    desired_globs,
    load_config,
    load_desired,
    parse_document,
)
from reconciler.desired.policy import committed_baseline, loosenings
from reconciler.desired.yamlio import (
    display_path,
    dump_yaml,
    load_yaml_fast,
    load_yaml_file,
    load_yaml_text,
    round_trip_yaml,
    write_text_atomic,
    write_yaml_file,
)

__all__ = [
    "CONFIG_FILE",
    "NO_STATE_DIR_HINT",
    "STATE_DIR_MISSING",
    "AccountConfig",
    "DesiredState",
    "EditResult",
    "FileSource",
    "Limits",
    "SafetyConfig",
    "ScopeDesired",
    "check_scope",
    "check_value",
    "committed_baseline",
    "desired_globs",
    "display_path",
    "dump_yaml",
    "load_config",
    "load_desired",
    "load_yaml_fast",
    "load_yaml_file",
    "load_yaml_text",
    "loosenings",
    "parse_document",
    "read_scope",
    "remove_entry",
    "round_trip_yaml",
    "scope_path",
    "set_entry",
    "shown_path",
    "write_scope",
    "write_text_atomic",
    "write_yaml_file",
]
