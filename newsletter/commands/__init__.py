"""One module per command; the click layer in newsletter/cli.py dispatches here."""
