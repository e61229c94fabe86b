"""Built-in probes: each module holds one probe class, registered in pyproject.toml."""
