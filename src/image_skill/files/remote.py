"""Fetch a user-supplied URL under the network policy (:mod:`image_skill.api.netpolicy`).

Used for every URL input the tool downloads itself (uploads of a URL, and through them
``edit --input``, ``--mask`` and the reference flags). One :func:`fetch`:

* opens the URL with :func:`image_skill.api.vetted.open_vetted`: every hop is vetted by the
  policy **before** connecting, redirects (at most ``max_redirects``) are followed and
  vetted the same way, and a hop off the API's own origin connects to an address the policy
  vetted (the ``Host`` header and the TLS server name keep the real name, so virtual
  hosting and certificate checks still work), so a second DNS answer cannot move the
  connection elsewhere;
* sends no Authorization header and no cookies;
* stops at ``max_bytes`` (from ``Content-Length`` and while streaming) and at ``timeout``
  seconds in total for all hops together (a server dripping bytes cannot stretch it).

Known limit: when an HTTP(S) proxy is configured in the environment, the proxy makes the
connection (to the vetted address this module names in the request).

Errors: :class:`~image_skill.api.netpolicy.DestinationRefused` (policy),
:class:`FetchFailed` (network, HTTP status, redirects) and :class:`FetchTooLarge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from image_skill import _constants as C
from image_skill.api.netpolicy import NetworkPolicy, ResolveFailed

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchFailed", "FetchTooLarge", "Fetched", "fetch"]


class FetchFailed(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class FetchTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str | None
    #: The URL the bytes came from, as named (after redirects), not the address used.
    url: httpx.URL


def fetch(
    url: httpx.URL,
    policy: NetworkPolicy,
    *,
    max_bytes: int,
    timeout: float | None = None,
    max_redirects: int | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET ``url`` (already checked to be http/https with a host); see the module docstring.

    ``timeout`` (default ``REMOTE_FETCH_TIMEOUT``) is the total for all hops;
    ``max_redirects`` defaults to ``REMOTE_FETCH_MAX_REDIRECTS``.
    """
    import httpx

    from image_skill.api.deadline import deadline, deadline_transport
    from image_skill.api.vetted import RedirectFailed, open_vetted

    timeout = C.REMOTE_FETCH_TIMEOUT if timeout is None else timeout
    max_redirects = C.REMOTE_FETCH_MAX_REDIRECTS if max_redirects is None else max_redirects
    limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    with (
        deadline(timeout),
        httpx.Client(
            transport=transport if transport is not None else deadline_transport(),
            timeout=limits,
            follow_redirects=False,
            headers={"user-agent": f"image-skill-python/{C.__version__}"},
        ) as http,
    ):
        try:
            with open_vetted(
                http, url, policy, max_redirects=max_redirects, headers={"accept": "*/*"}
            ) as (response, final):
                return _read(response, final, max_bytes)
        except ResolveFailed as exc:
            raise FetchFailed(str(exc)) from None
        except RedirectFailed as exc:
            raise FetchFailed(exc.message, retryable=False) from None
        except httpx.HTTPError as exc:
            detail = str(exc).strip()
            name = exc.__class__.__name__
            raise FetchFailed(name + (f": {detail}" if detail else "")) from None


def _read(response: httpx.Response, url: httpx.URL, max_bytes: int) -> Fetched:
    status = response.status_code
    if not 200 <= status < 300:
        raise FetchFailed(f"HTTP {status}")
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchTooLarge(int(declared))
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise FetchTooLarge(total)
        chunks.append(chunk)
    return Fetched(b"".join(chunks), response.headers.get("content-type"), url)
