"""wandctl: host tools for the microwand (flash, deploy, console, sim, bench)."""

__version__ = "0.1.0"
