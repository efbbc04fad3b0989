"""``python -m service`` is the ``slant`` command."""

from service.cli import main

raise SystemExit(main())
