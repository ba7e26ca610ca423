"""`python -m kanal ...`: the same as the `kanal` command (available where the project is installed)."""

import sys

from kanal_local.cli import main

sys.exit(main())
