"""``python -m worker`` runs the ``kizuna`` command line."""

from worker.cli import main

if __name__ == "__main__":
    main()
