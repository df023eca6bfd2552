"""``python -m sciood.cli``: the ``sciood`` command."""

from sciood.cli import main

main()
