"""`python -m tracelot` runs the command line."""

from tracelot.cli.main import main

main()
