"""`image-skill trust`: a no-auth, no-spend evidence packet for deciding whether to use us."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from image_skill import envelope as E
from image_skill.cli._app import AppState, CommandFailed, common_options, state
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.api.endpoints import PublicFetch
    from image_skill.api.reply import Reply

LABEL = "image-skill trust"
#: Every flag trust accepts (the contract's four plus our --human, --timeout and
#: --allow-private-network globals).
ALLOWED_FLAGS = (
    "json",
    "human",
    "api-base-url",
    "token",
    "token-stdin",
    "timeout",
    "allow-private-network",
)
VALUE_FLAGS = ("api-base-url", "token", "timeout")


def check_args(args: list[str]) -> None:
    """Contract order: unsupported flags (all of them), then positionals, then flags that
    lack their value. Raises CommandFailed."""
    unsupported: list[str] = []
    positionals: list[str] = []
    missing_value: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if token == "--":
            positionals.extend(args[index:])
            break
        if not token.startswith("--"):
            positionals.append(token)
            continue
        name, has_value, _ = token[2:].partition("=")
        if name not in ALLOWED_FLAGS:
            if name not in unsupported:
                unsupported.append(name)
            # Like the npm parser, an unknown flag takes the next word as its value.
            if not has_value and index < len(args) and not args[index].startswith("--"):
                index += 1
            continue
        if name in VALUE_FLAGS and not has_value:
            if index < len(args) and not args[index].startswith("--"):
                index += 1
            elif name not in missing_value:
                missing_value.append(name)
    if unsupported:
        flags = ", ".join(f"--{name}" for name in unsupported)
        raise CommandFailed(E.invalid(LABEL, f"unsupported flags for trust: {flags}"))
    if positionals:
        raise CommandFailed(E.invalid(LABEL, "trust does not accept positional arguments"))
    if missing_value:
        raise CommandFailed(E.invalid(LABEL, f"--{missing_value[0]} requires a value"))


class TrustCommand(click.Command):
    """Validates the raw words before click parses them (fail closed, every offender named)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        check_args(list(args))
        return super().parse_args(ctx, args)


def _token_handoff(app: AppState) -> None:
    """Contract §5.1: token flags are checked, a piped token is read and thrown away."""
    if app.token_stdin and app.token is not None:
        raise CommandFailed(E.invalid(LABEL, "use either --token or --token-stdin, not both"))
    if app.token_stdin:
        app.read_stdin_token(LABEL)


@click.command("trust", cls=TrustCommand)
@common_options
def trust() -> Result:
    """No-auth, no-spend evidence packet: npm provenance, doc hashes, API health, models.

    The packet (schema image-skill.trust-packet.v0) reports the npm metadata of
    image-skill@0.1.30, SHA-256 hashes of the hosted skill.md, llms.txt and cli.md, the
    /healthz reply, counts from /v1/models, three read-only commands and what was kept out.
    Anything that cannot be checked is reported as unreachable or not_available_yet, and
    summary.status says how far to trust the service. No token is read from env or config
    and none is sent; a token given with --token or --token-stdin is discarded.

    Differences from the npm client: a python_package block (from importlib.metadata: name,
    version, installer, editable or direct-URL install; no network, no local paths) sits
    next to npm_package, which is still fetched from the npm registry (or
    {base}/image-skill/0.1.30 for another base). safe_commands are rendered with
    this installation's command prefix, not npx. With --api-base-url local, the docs and
    npm lookups go to the in-process backend, which serves neither, so they come back
    unreachable / not_available_yet and summary.status follows from that.
    """
    app = state()
    _token_handoff(app)
    from image_skill import _constants as C
    from image_skill.trust import packet as T

    if app.timeout is None:
        # Every read is bounded: a packet is not worth the 600 s a video create may need.
        app.timeout = C.REMOTE_FETCH_TIMEOUT
    client = app.client()
    urls = T.plan_urls(app.base_url(), client.base_url if client.in_process else None)
    npm, contracts, health_reply, models_reply = _fetch_all(client, urls, app.timeout)
    health = app.call(health_reply).envelope
    models = app.call(models_reply).envelope
    inputs = T.TrustInputs(
        urls=urls,
        checked_at=_now(),
        npm=npm,
        contracts=contracts,
        health=health,
        models=models,
        python_package=python_package_info(),
    )
    data, warnings = T.build_packet(inputs, app.render)
    return E.ok_result(LABEL, data, warnings=warnings)


def _fetch_all(
    client: ImageSkillClient, urls: Any, timeout: float | None
) -> tuple[PublicFetch, list[PublicFetch], Reply, Reply]:
    """npm, the three docs (one after another), /healthz and /v1/models, side by side."""
    from concurrent.futures import ThreadPoolExecutor

    from image_skill.trust import packet as T

    def docs() -> list[PublicFetch]:
        return [
            client.public_get(url, accept=T.DOCS_ACCEPT, timeout=timeout)
            for _key, url in urls.contract_urls
        ]

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="image-skill-trust") as pool:
        npm = pool.submit(
            client.public_get, urls.npm_package_url, accept=T.NPM_ACCEPT, timeout=timeout
        )
        contracts = pool.submit(docs)
        health = pool.submit(client.health)
        models = pool.submit(client.models)
        return npm.result(), contracts.result(), health.result(), models.result()


def _now() -> str:
    """ISO 8601 in UTC with milliseconds and a Z, like JavaScript's toISOString()."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def python_package_info() -> dict[str, Any]:
    """What the installed distribution says about itself; no network."""
    import json
    from importlib import metadata

    from image_skill import _constants as C

    info: dict[str, Any] = {
        "status": "installed",
        "source": "importlib.metadata",
        "name": C.PACKAGE_NAME,
        "version": None,
        "installer": None,
        "editable": False,
        "direct_url_install": False,
    }
    try:
        dist = metadata.distribution(C.PACKAGE_NAME)
    except metadata.PackageNotFoundError:
        info["status"] = "metadata_not_found"
        return info
    info["name"] = dist.metadata["Name"] or C.PACKAGE_NAME
    info["version"] = dist.version
    installer = (dist.read_text("INSTALLER") or "").strip()
    info["installer"] = installer or None
    direct = dist.read_text("direct_url.json")
    if direct:
        info["direct_url_install"] = True
        try:
            parsed = json.loads(direct)
        except ValueError:
            parsed = None
        dir_info = parsed.get("dir_info") if isinstance(parsed, dict) else None
        info["editable"] = isinstance(dir_info, dict) and dir_info.get("editable") is True
    return info


def _clean_help(text: str | None) -> str | None:
    """Docstring body without its source indentation (click keeps it on Python 3.11)."""
    if not text:
        return text
    first, _, rest = text.partition("\n")
    return (first.strip() + "\n" + textwrap.dedent(rest)).strip()


trust.help = _clean_help(trust.help)

COMMANDS = [trust]
