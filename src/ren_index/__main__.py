"""``python -m ren_index`` = the ``ren-index`` command."""

from ren_index.cli import main

main()
