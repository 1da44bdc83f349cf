"""Desired state: load, validate and save the YAML files of a state directory."""

from reconciler.desired.config import CONFIG_FILE, AccountConfig, SafetyConfig
from reconciler.desired.limits import Limits, check_value
from reconciler.desired.loader import (
    DesiredState,
    FileSource,
    ScopeDesired,
    load_config,
    load_desired,
    parse_document,
)
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
    "AccountConfig",
    "DesiredState",
    "FileSource",
    "Limits",
    "SafetyConfig",
    "ScopeDesired",
    "check_value",
    "display_path",
    "dump_yaml",
    "load_config",
    "load_desired",
    "load_yaml_fast",
    "load_yaml_file",
    "load_yaml_text",
    "parse_document",
    "round_trip_yaml",
    "write_text_atomic",
    "write_yaml_file",
]
