"""image-skill: command-line and Python client for the Image Skill creative-media API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from image_skill._constants import CONTRACT_VERSION, __version__

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient

__all__ = ["CONTRACT_VERSION", "ImageSkillClient", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import image_skill` (and so `image-skill version`) stays cheap.
    if name == "ImageSkillClient":
        from image_skill.api.client import ImageSkillClient

        return ImageSkillClient
    raise AttributeError(name)
