"""`python -m sim` does what `intelsim` does."""

from sim.cli import main

main()
