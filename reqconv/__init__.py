"""reqconv: requirements files to a locked uv workflow."""

__version__ = "0.1.0"
