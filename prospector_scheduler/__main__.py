"""``python3 -m prospector_scheduler``: run the command-line tool."""

import sys

from prospector_scheduler.cli import main

if __name__ == "__main__":
    sys.exit(main())
