"""``python -m advisor``: the same command as the ``advisor`` script (for environments without it on PATH)."""

from advisor.cli import main

if __name__ == "__main__":
    main()
