"""``python -m ren_index`` = the ``ren-index`` command."""

from ren_index.cli.main import main

main()
