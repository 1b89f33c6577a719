"""`image-skill local ...`: run and drive the offline local backend.

`local serve` serves the backend over HTTP on loopback; `--api-base-url local` runs the
same backend in-process. Both use one data dir (IMAGE_SKILL_LOCAL_DIR overrides it).
`local gallery` asks a served backend for a one-time login link to its gallery page.
"""

from __future__ import annotations

import click

from image_skill import envelope as E
from image_skill.cli._app import common_options, local_extra_missing
from image_skill.envelope import Result


def _missing_extra(label: str) -> Result:
    return local_extra_missing(
        label, "the local backend needs the 'local' extra (fastapi, uvicorn, Pillow)"
    )


@click.group("local")
@common_options
def local() -> None:
    """Run the offline local backend: same HTTP contract, real files, no money."""


@local.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port (0 picks a free one).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="State directory (default: IMAGE_SKILL_LOCAL_DIR or the user data dir).",
)
@common_options
def local_serve(host: str, port: int, data_dir: str | None) -> Result:
    """Serve the local backend over HTTP until interrupted (Ctrl-C stops it cleanly)."""
    label = "image-skill local serve"
    try:
        from image_skill.local import require_extra
        from image_skill.local.server import serve
        from image_skill.local.settings import LocalSettings

        require_extra()
    except ImportError:
        return _missing_extra(label)
    from pathlib import Path

    from image_skill.cli._app import state

    notice = state().out.notice
    settings = LocalSettings.from_env()
    if data_dir is not None:
        import dataclasses

        settings = dataclasses.replace(settings, data_dir=Path(data_dir))
    bound = {"port": port}

    def announce(actual: int) -> None:
        bound["port"] = actual
        notice(
            f"image-skill local backend on http://{host}:{actual} (data: {settings.data_dir}); "
            "Ctrl-C stops it"
        )

    from image_skill.cli import restore_collector

    restore_collector()  # a server runs for hours: the usual collector thresholds
    try:
        serve(host=host, port=port, settings=settings, on_bound=announce)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        from image_skill.cli.prefix import detect_prefix
        from image_skill.commands import CommandContext, render

        retry = render(["local", "serve", "--port", "0"], CommandContext(prefix=detect_prefix()))
        return E.error_result(
            label,
            "LOCAL_SERVE_FAILED",
            f"could not serve on {host}:{port}: {exc.strerror or exc}",
            exit_code=1,
            recovery={"suggested_command": retry},
        )
    return E.ok_result(
        label,
        {"host": host, "port": bound["port"], "data_dir": str(settings.data_dir), "stopped": True},
    )


@local.command("settle")
@click.option(
    "--payment-attempt-id", required=True, metavar="PAYMENT_ATTEMPT_ID", help="Attempt to settle."
)
@common_options
def local_settle(payment_attempt_id: str) -> Result:
    """Settle a payment attempt on the local backend (simulated; grants exactly once)."""
    from image_skill.cli._app import group_label, state

    app = state()
    resolution = app.resolve_token(group_label())
    client = app.client(resolution.token)
    return app.call(client.local_settle(payment_attempt_id))


#: Where `local serve` listens by default (named in the gallery's recovery commands).
_DEFAULT_SERVED_URL = "http://127.0.0.1:8787"


@local.command("gallery")
@common_options
def local_gallery() -> Result:
    """Print a one-time login link (data.url) to a served local backend's gallery page."""
    # The link holds a random code, not the token; it works once, for five minutes, and
    # leaves an HttpOnly session cookie in the browser that opens it.
    from image_skill import _constants as C
    from image_skill.cli._app import state

    label = "image-skill local gallery"
    app = state()
    client = app.client()
    if client.in_process or client.configured_base_url == C.DEFAULT_BASE_URL:
        from image_skill.cli.prefix import detect_prefix
        from image_skill.commands import CommandContext, render

        ctx = CommandContext(prefix=detect_prefix())
        gallery = render(["local", "gallery", "--api-base-url", _DEFAULT_SERVED_URL], ctx)
        where = "the in-process backend" if client.in_process else "the hosted API"
        return E.invalid(
            label,
            f"the gallery is a page of a served local backend, and {where} serves no pages: "
            "start `image-skill local serve` and pass its URL with --api-base-url",
            recovery={
                "suggested_command": gallery,
                "suggested_commands": [render(["local", "serve"], ctx), gallery],
            },
        )
    client.token = app.resolve_token(label).token
    return app.call(client.local_gallery_link())


COMMANDS = [local]
