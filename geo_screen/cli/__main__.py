"""``python -m geo_screen.cli``: the same as the ``geo-screen`` command."""

import sys

from geo_screen.cli import main

sys.exit(main())
