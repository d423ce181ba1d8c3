import sys

from krav.cli.main import main

sys.exit(main())
