"""image-skill: command-line and Python client for the Image Skill creative-media API."""

from __future__ import annotations

from image_skill._constants import CONTRACT_VERSION, __version__

# No `typing` import at run time: the CLI's entry point passes through here before it can
# install its signal handling, so this module must stay as quick to import as possible.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from image_skill.api.client import ImageSkillClient

__all__ = ["CONTRACT_VERSION", "ImageSkillClient", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import image_skill` (and so `image-skill version`) stays cheap.
    if name == "ImageSkillClient":
        from image_skill.api.client import ImageSkillClient

        return ImageSkillClient
    raise AttributeError(name)
