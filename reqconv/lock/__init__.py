"""The lock step: ``uv lock``, the exports, pins kept or moved, hash mode, the fingerprint.

Empty on purpose: ``reqconv check``'s fast path imports ``reqconv.lock.fingerprint`` alone, and
importing this package must cost nothing.
"""
