"""Entry point: parse the command line, then run a CLI command or open the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from console.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
