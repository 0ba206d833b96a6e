"""`python -m costmodel ...`: the command line, as the `costmodel` script runs it."""

from __future__ import annotations


def run() -> None:
    """Run the CLI (the top-level `cli` module), imported here so that importing the package
    never imports the command line and its libraries."""
    from cli import main

    main()


if __name__ == "__main__":
    run()
