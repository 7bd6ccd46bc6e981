"""The lock step: ``uv lock``, the exports, pins kept or moved, hash mode (``locking`` drives it)."""
