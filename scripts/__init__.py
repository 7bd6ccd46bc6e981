"""Maintenance scripts (``arch_check``: the layout rules); run them as ``python scripts/<name>.py``."""
