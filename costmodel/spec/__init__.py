"""Specs: safe YAML with source positions, the expression language, and the validated models."""

from costmodel.spec.model import (
    BlockDef,
    Layer,
    Spec,
    bundled_specs,
    load_spec,
    parse_spec,
    resolve_spec_path,
)

__all__ = ["BlockDef", "Layer", "Spec", "bundled_specs", "load_spec", "parse_spec", "resolve_spec_path"]
