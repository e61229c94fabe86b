"""The rules engine: facts (facts.py), safe conditions (matcher.py), YAML
loading and validation (loader.py), evaluation into a Prior (apply.py) and
text rendering (render.py)."""
