from __future__ import annotations

from reqconv.cli import main

if __name__ == "__main__":
    main()
