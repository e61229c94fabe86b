"""The default rule pack: each YAML file here holds rules (see docs/rules.md)."""
