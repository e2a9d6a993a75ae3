"""Entry script of the PyInstaller build: the ``community-console`` command, frozen.

``--self-test`` is routed here until the command line has the flag itself;
everything else goes to the normal entry point.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if "--self-test" in sys.argv[1:]:
        from console.ui.selftest import run_self_test

        sys.exit(run_self_test())
    from console.app import main

    sys.exit(main())
