"""GET a URL the API did not answer itself, under the network policy, hop by hop.

The one redirect loop for URLs outside the API's request path: URL inputs
(:func:`image_skill.files.remote.fetch`) and asset downloads
(:meth:`image_skill.api.client.ImageSkillClient.stream`) both open their URL here.
:func:`open_vetted`:

* checks every hop with :meth:`NetworkPolicy.vet` **before** connecting, and follows
  redirects itself (301/302/303/307/308, at most ``max_redirects``), checking each new
  location the same way;
* sends a hop on one of the policy's own :attr:`~NetworkPolicy.allowed_origins` (the
  configured API, a backend's media host) by name, exactly as API requests go there;
* connects to any other hop through an address the policy vetted (the URL's host is
  replaced by that address; the ``Host`` header and the TLS server name keep the real name),
  so a second DNS answer cannot move the connection elsewhere;
* adds no Authorization header and no cookies: only the headers the caller passes.

Raises :class:`~image_skill.api.netpolicy.DestinationRefused` and
:class:`~image_skill.api.netpolicy.ResolveFailed` (nothing was sent to that hop),
:class:`RedirectFailed` (too many hops, or a location that is not an http(s) URL) and
httpx's own errors. The caller sets any time limit (``deadline`` and httpx timeouts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from image_skill.api.netpolicy import DEFAULT_PORTS, Destination, NetworkPolicy, Origin

__all__ = ["REDIRECT_STATUSES", "RedirectFailed", "open_vetted", "origin_of"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectFailed(Exception):
    """A redirect that is not followed (it is not a policy refusal: see the message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def origin_of(url: httpx.URL) -> Origin:
    """``(scheme, host, port)`` of ``url`` as :meth:`NetworkPolicy.vet` compares them."""
    port = url.port if url.port is not None else DEFAULT_PORTS.get(url.scheme, 0)
    return (url.scheme, url.raw_host.decode("ascii").lower(), port)


@contextmanager
def open_vetted(
    http: httpx.Client,
    url: httpx.URL,
    policy: NetworkPolicy,
    *,
    max_redirects: int,
    headers: Mapping[str, str] | None = None,
    timeout: Any = None,
) -> Iterator[tuple[httpx.Response, httpx.URL]]:
    """The streamed reply to ``GET url`` after vetted redirects, and the URL it came from
    (as named, not the address used); see the module docstring."""
    hops = 0
    while True:
        response = _send_once(http, url, policy, headers or {}, timeout)
        location = response.headers.get("location")
        if response.status_code in REDIRECT_STATUSES and location:
            response.close()
            hops += 1
            if hops > max_redirects:
                raise RedirectFailed(f"more than {max_redirects} redirects")
            try:
                url = url.join(location)
            except httpx.InvalidURL:
                raise RedirectFailed("redirected to an invalid URL") from None
            if url.scheme not in ("http", "https") or not url.host:
                raise RedirectFailed("redirected to a URL that is not http or https")
            continue
        try:
            yield response, url
        finally:
            response.close()
        return


def _send_once(
    http: httpx.Client,
    url: httpx.URL,
    policy: NetworkPolicy,
    headers: Mapping[str, str],
    timeout: Any,
) -> httpx.Response:
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    if url.scheme in DEFAULT_PORTS and origin_of(url) in policy.allowed_origins:
        request = http.build_request("GET", url, headers=dict(headers), **extra)
        return http.send(request, stream=True, follow_redirects=False)
    destination = policy.vet(url.scheme, url.raw_host.decode("ascii"), url.port)
    return _send_to_address(http, url, destination, headers, extra)


def _send_to_address(
    http: httpx.Client,
    url: httpx.URL,
    destination: Destination,
    headers: Mapping[str, str],
    extra: dict[str, Any],
) -> httpx.Response:
    """Send to the first vetted address that accepts the connection. The connection is not
    kept: a pool keyed by address must never hand it to a request for another name."""
    fields = {**headers, "host": destination.host_header, "connection": "close"}
    extensions = {"sni_hostname": destination.host} if url.scheme == "https" else {}
    last_error: httpx.ConnectError | None = None
    for address in destination.addresses:
        request = http.build_request(
            "GET", url.copy_with(host=address), headers=fields, extensions=extensions, **extra
        )
        try:
            return http.send(request, stream=True, follow_redirects=False)
        except httpx.ConnectError as exc:  # try the next vetted address
            last_error = exc
    assert last_error is not None
    raise last_error
