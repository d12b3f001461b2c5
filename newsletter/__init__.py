"""newsletter: Markdown issues in the Semaform style to responsive, inlined, ESP-ready email."""

__version__ = "0.1.0"
