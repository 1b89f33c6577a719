"""Send one API request, following redirects only within its own origin.

The I/O half of :mod:`image_skill.api.redirects` (which holds the rules and the failure).
"""

from __future__ import annotations

import httpx

from image_skill.api.redirects import MAX_API_REDIRECTS, RedirectRefused, origin_text

__all__ = ["send_within_origin"]


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def send_within_origin(http: httpx.Client, request: httpx.Request) -> httpx.Response:
    """The streamed reply to ``request`` after same-origin redirects (the caller closes it).

    Raises :class:`RedirectRefused` on a redirect to another origin, or after
    :data:`MAX_API_REDIRECTS` hops, before anything is sent to the new location.
    """
    response = http.send(request, stream=True, follow_redirects=False)
    hops = 0
    while response.next_request is not None:
        follow = response.next_request
        response.close()
        target = follow.url
        shown = origin_text(target.scheme, target.host, target.port)
        if _origin(target) != _origin(request.url):
            raise RedirectRefused(response.status_code, shown)
        hops += 1
        if hops > MAX_API_REDIRECTS:
            raise RedirectRefused(response.status_code, shown, too_many=True)
        response = http.send(follow, stream=True, follow_redirects=False)
    return response
