"""``python -m fundrules``: the same as the ``fundrules`` command."""

import sys

from fundrules.cli import main

sys.exit(main())
