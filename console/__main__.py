"""``python -m console``: the same as the ``community-console`` command."""

from __future__ import annotations

import sys

from console.app import main

sys.exit(main())
