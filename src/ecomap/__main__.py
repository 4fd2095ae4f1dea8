"""``python -m ecomap``: the same as the ``ecomap`` command."""

from ecomap.cli import main

raise SystemExit(main())
