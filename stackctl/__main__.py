"""`python -m stackctl` runs the CLI."""

from stackctl.cli.main import main

main()
