import sys

from citysafe.cli import main

sys.exit(main())
