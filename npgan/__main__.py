"""``python -m npgan`` runs the command line."""

from npgan.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
