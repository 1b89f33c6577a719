"""`image-skill completion bash|zsh|fish`: print click's shell completion script.

The script is printed as is on stdout (not in a JSON envelope) so that
``eval "$(image-skill completion bash)"`` or a file under the shell's completion folder
works. When the shell asks for completions, the script runs ``image-skill`` again with
``_IMAGE_SKILL_COMPLETE`` set, which :func:`image_skill.cli._root.main` answers from the
command tree (every registered command, the modality alias words included).
"""

from __future__ import annotations

import click

from image_skill.cli._app import common_options
from image_skill.cli.output import TextResult

#: The shells click ships completion for, in the order help lists them.
SHELLS = ("bash", "zsh", "fish")

#: What the installed script is called and the variable its completion protocol uses.
PROG_NAME = "image-skill"
COMPLETE_VAR = "_IMAGE_SKILL_COMPLETE"


def completion_script(root: click.Command, shell: str) -> str:
    """Click's completion script for ``shell`` (one of :data:`SHELLS`)."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover (SHELLS lists only shells click knows)
        raise ValueError(f"no completion for {shell!r}")
    source = cls(root, {}, PROG_NAME, COMPLETE_VAR).source()
    return source if source.endswith("\n") else source + "\n"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@common_options
def completion(shell: str) -> TextResult:
    """Print the shell completion script for bash, zsh or fish.

    \b
    bash: eval "$(image-skill completion bash)"    (in ~/.bashrc)
    zsh:  eval "$(image-skill completion zsh)"     (in ~/.zshrc)
    fish: image-skill completion fish > ~/.config/fish/completions/image-skill.fish
    """
    root = click.get_current_context().find_root().command
    script = completion_script(root, shell)
    return TextResult(
        script, "image-skill completion", {"shell": shell, "complete_var": COMPLETE_VAR}
    )
