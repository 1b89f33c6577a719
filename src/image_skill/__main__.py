"""`python -m image_skill` runs the same entry point as the `image-skill` script."""

from __future__ import annotations

import sys

from image_skill.cli import main

if __name__ == "__main__":
    sys.exit(main())
