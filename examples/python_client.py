"""Sign up, create an image and save it, with the Python client alone.

Run it against the offline local backend (``pip install 'image-skill[local]'``)::

    python examples/python_client.py local cube.png

The token is saved in the same config file the CLI uses, and the second client reads it
from there (no token in the code). ``mypy --strict`` checks this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from image_skill import ImageSkillClient, Reply
from image_skill.api.requests import CreateRequest


def _fail(what: str, reply: Reply) -> SystemExit:
    code = reply.error.code if reply.error is not None else "UNKNOWN"
    message = reply.error.message if reply.error is not None else ""
    return SystemExit(f"{what} failed: {code}: {message}")


def sign_up(base_url: str) -> Path:
    """A new agent on ``base_url``; its token goes into the saved config. The config path."""
    with ImageSkillClient(base_url=base_url, token=None) as client:
        reply = client.signup(
            {
                "agent_contact": "example@example.com",
                "agent_name": "python-example",
                "runtime": "python",
                "return_token": True,
            }
        )
        if not reply.ok:
            raise _fail("signup", reply)
        token = reply.data["token"]
        assert isinstance(token, str)
        return client.save_token(token)


def create_and_save(prompt: str, output: Path) -> Path:
    """Create one image with the saved base URL and token; write it to ``output``."""
    with ImageSkillClient() as client:  # base URL and token from the saved config
        assert client.token_source == "config"
        made = client.create(CreateRequest(prompt=prompt, idempotency_key="example-" + output.stem))
        if not made.ok:
            raise _fail("create", made)
        asset: dict[str, object] = made.data["assets"][0]
        url = asset["url"]
        assert isinstance(url, str)
        with client.stream(url) as response:
            response.raise_for_status()
            output.write_bytes(response.read())
    return output


def main(argv: list[str]) -> int:
    base_url = argv[1] if len(argv) > 1 else "local"
    output = Path(argv[2] if len(argv) > 2 else "image.png")
    sign_up(base_url)
    saved = create_and_save("a red cube on a wooden desk", output)
    sys.stdout.write(f"{saved}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
