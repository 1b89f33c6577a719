"""`ImageSkillClient`: the one HTTP client for the Image Skill API.

Every request goes through :meth:`ImageSkillClient.request`, which returns a
:class:`~image_skill.api.reply.Reply`: the envelope, the HTTP status and headers, and what
is known about the request's outcome. API errors are data, not exceptions: a well-formed
envelope the server sent is relayed unchanged. Transport failures, non-JSON replies,
replies over ``MAX_REPLY_BYTES`` and malformed envelopes (``ok`` not a boolean, a failure
without an ``error`` object holding a string ``code``) become client-built
``HOSTED_API_NON_JSON_RESPONSE`` failures; a malformed envelope is kept under
``error.raw_reply``. For a request that may spend (one sent with an idempotency key) any
such reply is an unknown outcome: retryable, with the same key in its recovery.

Retries happen only where nothing can have been spent: GET requests, a connection that
was refused before anything was sent, and 429/503 replies that carry ``Retry-After``.
``timeout`` is a total limit per attempt (connect and the whole reply,
:mod:`~image_skill.api.deadline`); an attempt that runs out of it is not retried. Redirects
are followed only within the request's origin (:mod:`~image_skill.api.redirects`).
The client never prints and knows nothing of any command line.

Left out, ``base_url`` and ``token`` are found as the CLI finds them
(:mod:`image_skill.api.connect`); ``token=None`` means no token. Every token is checked
before use (:class:`~image_skill.config.connection.InvalidToken`, a ``ValueError``).
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from image_skill import _constants as C
from image_skill.api.connect import (
    FROM_ENVIRONMENT,
    FromEnvironment,
    resolve_connection,
    save_for,
)
from image_skill.api.deadline import bulk_reads, deadline, deadline_transport
from image_skill.api.endpoints import (
    EndpointsMixin,
    PublicFetch,
    public_fetch_failed,
    public_fetch_reply,
)
from image_skill.api.exchange import send_within_origin
from image_skill.api.netpolicy import HOSTED_MEDIA_ORIGIN, NetworkPolicy, Origin
from image_skill.api.redirects import RedirectRefused, redirect_refused
from image_skill.api.replies import non_envelope_failure, transport_failure
from image_skill.api.reply import Reply
from image_skill.api.transports import registered_transport
from image_skill.api.vetted import open_vetted, origin_of
from image_skill.api.wire import (
    MAX_REPLY_BYTES,
    RequestContent,
    encode_json,
    encode_path_id,
    envelope_problem,
    json_body,
    parse_envelope_body,
    parse_retry_after,
    read_capped,
    resolve_base_url,
)
from image_skill.config.connection import InvalidToken, check_token

Params = Sequence[tuple[str, str]]

__all__ = [
    "FROM_ENVIRONMENT",
    "ImageSkillClient",
    "InvalidToken",
    "LocalBackendUnavailable",
    "Reply",
    "encode_path_id",
    "json_body",
    "parse_envelope_body",
    "resolve_base_url",
]


class LocalBackendUnavailable(RuntimeError):
    """`--api-base-url local` was asked for but the `local` extra is not installed."""


class ImageSkillClient(EndpointsMixin):
    """Synchronous client. Use as a context manager or call :meth:`close`.

    ``base_url`` is an http(s) URL or a registered transport alias (``"local"``: the
    offline backend, in-process; see :mod:`image_skill.api.transports`); None resolves it
    as the CLI does. ``token`` is the bearer token; left out, it is resolved as the CLI
    does, and None sends none. ``config_path`` and ``env`` replace the saved config's path
    and ``os.environ`` for that resolution. ``transport`` replaces the network for this
    client (an :class:`httpx.BaseTransport`); ``http_client`` replaces the whole
    :class:`httpx.Client`.

    After construction, :attr:`base_url_source` says where the base URL came from
    (``"argument"``, ``"env"``, ``"config"``, ``"default"``), :attr:`token_source` where the
    token came from (``"argument"``, ``"env"``, ``"config"`` or None), and
    :attr:`withheld_token_base_url` names the base URL of a saved token that was not used
    because it belongs to another backend.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None | FromEnvironment = FROM_ENVIRONMENT,
        config_path: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int = C.MAX_RETRIES,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str | None = None,
        allow_private_network: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        found = resolve_connection(base_url, token, config_path=config_path, env=env)
        self.configured_base_url = found.base_url
        self.base_url_source = found.base_url_source
        self.token_source = found.token_source
        self.withheld_token_base_url = found.withheld_token_base_url
        #: ``timeout`` is a total limit per attempt (connect and the whole reply), not only
        #: per read: see :mod:`image_skill.api.deadline`. None: the per-read defaults only.
        self.attempt_limit = timeout
        #: Whether URL inputs may be fetched from loopback and private addresses.
        self.allow_private_network = allow_private_network
        self.token = found.token  # checked by the property
        self.max_retries = max(0, max_retries)
        self._sleep = sleep
        factory = registered_transport(self.configured_base_url)
        self.in_process = factory is not None
        self.base_url = C.IN_PROCESS_ORIGIN if self.in_process else self.configured_base_url
        self._owns_client = http_client is None
        if http_client is None:
            if transport is None:
                transport = deadline_transport() if factory is None else _named(factory)
            http_client = httpx.Client(
                transport=transport,
                timeout=httpx.Timeout(
                    timeout if timeout is not None else C.READ_TIMEOUT,
                    connect=connect_timeout if connect_timeout is not None else C.CONNECT_TIMEOUT,
                    write=C.WRITE_TIMEOUT,
                    pool=C.POOL_TIMEOUT,
                ),
                follow_redirects=True,
                headers={"user-agent": user_agent or f"image-skill-python/{C.__version__}"},
            )
        self._http = http_client

    @property
    def token(self) -> str | None:
        """The bearer token sent with authenticated requests (None: none is sent)."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = None if value is None else check_token(value, "token")

    def save_token(self, token: str, *, config_path: str | Path | None = None) -> Path:
        """Save ``token`` in the config file for this client's base URL, as ``signup`` does
        (:func:`image_skill.api.connect.save_for`); the file's path."""
        return save_for(self.configured_base_url, check_token(token, "argument"), config_path)

    @classmethod
    def local(cls, **kwargs: Any) -> ImageSkillClient:
        """A client of the offline local backend, in-process (needs the ``local`` extra)."""
        return cls(base_url=C.LOCAL_BASE_URL_ALIAS, **kwargs)

    def with_token(self, token: str | None) -> ImageSkillClient:
        """A client like this one with another token, on the same HTTP client and connection
        pool (one per process). Closing it leaves the pool open: this client owns it."""
        twin = copy.copy(self)
        twin.token = token
        twin.token_source = None if token is None else "argument"
        twin._owns_client = False
        return twin

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> ImageSkillClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URL handling ----------------------------------------------------------------
    def url(self, path: str, params: Params | None = None) -> httpx.URL:
        """Absolute URL for an API path. Like the npm client, paths start at the host root."""
        base = httpx.URL(self.base_url)
        url = base.copy_with(raw_path=path.encode("ascii"))
        if params:
            url = url.copy_with(params=list(params))
        return url

    def is_own_url(self, url: str) -> bool:
        """Whether ``url`` is served by the configured backend (same scheme, host and port)."""
        try:
            return origin_of(httpx.URL(url)) == origin_of(httpx.URL(self.base_url))
        except (httpx.InvalidURL, TypeError):
            return False

    def network_policy(self, *, media: bool = False) -> NetworkPolicy:
        """Where URLs fetched for the user may go: public addresses, this API's origin (and the
        hosted media host, for ``media`` downloads), private networks if the client allows."""
        own: set[Origin] = set() if self.in_process else {origin_of(httpx.URL(self.base_url))}
        allowed = own | ({HOSTED_MEDIA_ORIGIN} if media else set())
        return NetworkPolicy(self.allow_private_network, frozenset(allowed))

    # -- the one request path --------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        auth: bool = True,
        token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Reply:
        """Send one API request; the :class:`Reply` (never raises for API or network errors).

        ``auth`` sends the bearer token (``token`` overrides the client's) when one exists.
        ``idempotency_key`` marks a request that may spend: failures whose outcome is
        unknown then carry that same key in their recovery.
        """
        headers = {"accept": "application/json"}
        bearer = check_token(token, "token") if token is not None else self.token
        if auth and bearer is not None:
            headers["authorization"] = f"Bearer {bearer}"
        body_headers, content = encode_json(json)  # a StreamedJson is sent as it is read
        headers.update(body_headers)
        url = self.url(path, params)
        method = method.upper()
        what = f"{method} {path}"
        attempt = 0
        while True:
            try:
                response, body = self._exchange(method, url, headers, content)
            except RedirectRefused as exc:
                refused = redirect_refused(what, exc, self.configured_base_url, idempotency_key)
                return Reply(
                    refused,
                    exc.status,
                    outcome_unknown=True,
                    client_built=True,
                    idempotency_key=idempotency_key,
                )
            except httpx.HTTPError as exc:
                # A failed connect sent nothing: safe to retry whatever the method. Any other
                # transport failure (timeouts included) is retried for GET only, except an
                # attempt that used up the caller's own time limit.
                sent_nothing = isinstance(exc, httpx.ConnectError)
                out_of_time = self.attempt_limit is not None and isinstance(
                    exc, httpx.TimeoutException
                )
                retry = (sent_nothing or method == "GET") and not out_of_time
                if retry and attempt < self.max_retries:
                    attempt += 1
                    self._sleep(self._backoff(attempt))
                    continue
                return transport_failure(
                    what, exc, idempotency_key, self.configured_base_url, self.attempt_limit
                )
            delay = self._retry_delay(method, response, attempt)
            if delay is not None:
                attempt += 1
                self._sleep(delay)
                continue
            return self._to_reply(response, body, what, idempotency_key)

    def _exchange(
        self, method: str, url: httpx.URL, headers: dict[str, str], content: RequestContent | None
    ) -> tuple[httpx.Response, bytes | None]:
        """Send one request; the reply and at most ``MAX_REPLY_BYTES`` of its body (None when
        the body is longer: reading stops there, so a huge reply never sits in memory).

        The whole exchange (redirect hops included) runs under :attr:`attempt_limit`. Only
        redirects within the request's own origin are followed (see
        :mod:`image_skill.api.redirects`); any other raises :class:`RedirectRefused` before
        anything is sent to the new location.
        """
        with deadline(self.attempt_limit):
            request = self._http.build_request(method, url, headers=headers, content=content)
            response = send_within_origin(self._http, request)
            try:
                body = read_capped(response.iter_bytes(), MAX_REPLY_BYTES)
            finally:
                response.close()
        return response, body

    @contextmanager
    def stream(
        self, url: str, *, timeout: float | None = None, policy: NetworkPolicy | None = None
    ) -> Iterator[httpx.Response]:
        """Stream a GET of an asset URL, with no Authorization header; off the in-process backend
        each hop is vetted by ``policy`` (default ``network_policy(media=True)``): see vetted.
        Keep the reading inside the block: there the socket reads are large (``bulk_reads``)."""
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        if self.in_process:  # nothing leaves the process
            with self._http.stream("GET", url, **extra) as response:
                yield response
            return
        rule, limit = policy or self.network_policy(media=True), C.REMOTE_FETCH_MAX_REDIRECTS
        vetted = open_vetted(self._http, httpx.URL(url), rule, max_redirects=limit, **extra)
        with bulk_reads(), vetted as found:
            yield found[0]

    def public_get(self, url: str, *, accept: str, timeout: float | None = None) -> PublicFetch:
        """GET a public document by absolute URL, with no Authorization header.

        Never raises: transport failures and non-2xx replies come back as a
        :class:`PublicFetch` carrying a ``PUBLIC_FETCH_FAILED`` error. ``timeout`` bounds each
        attempt in total (default ``REMOTE_FETCH_TIMEOUT``); retries follow the GET policy.
        """
        seconds = timeout if timeout is not None else C.REMOTE_FETCH_TIMEOUT
        limit = httpx.Timeout(
            seconds,
            connect=C.CONNECT_TIMEOUT,
            write=C.WRITE_TIMEOUT,
            pool=C.POOL_TIMEOUT,
        )
        attempt = 0
        while True:
            try:
                with deadline(seconds):
                    response = self._http.get(url, headers={"accept": accept}, timeout=limit)
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                transient = isinstance(exc, httpx.TransportError) and not isinstance(
                    exc, httpx.UnsupportedProtocol
                )
                if transient and attempt < self.max_retries:
                    attempt += 1
                    self._sleep(self._backoff(attempt))
                    continue
                return public_fetch_failed(url, exc)
            delay = self._retry_delay("GET", response, attempt)
            if delay is None:
                return public_fetch_reply(url, response.status_code, response.content)
            attempt += 1
            self._sleep(delay)

    # -- retry policy ---------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        base: float = min(C.MAX_RETRY_DELAY, C.INITIAL_RETRY_DELAY * 2.0 ** (attempt - 1))
        return base * (0.75 + random.random() * 0.25)

    def _retry_delay(self, method: str, response: httpx.Response, attempt: int) -> float | None:
        if attempt >= self.max_retries:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if response.status_code in (429, 503) and retry_after is not None:
            return min(retry_after, C.MAX_RETRY_AFTER)
        if method == "GET" and response.status_code in (429, 502, 503, 504):
            return self._backoff(attempt + 1)
        return None

    # -- response mapping -------------------------------------------------------------
    def _to_reply(
        self, response: httpx.Response, body: bytes | None, what: str, key: str | None
    ) -> Reply:
        envelope = parse_envelope_body(body) if body is not None else None
        status = response.status_code
        problem = envelope_problem(envelope) if envelope is not None else None
        if envelope is not None and problem is None:
            return Reply(envelope, status, response.headers, idempotency_key=key)
        malformed = (problem, envelope) if envelope is not None and problem else None
        built = non_envelope_failure(status, what, key, malformed=malformed)
        return Reply(
            built,
            status,
            response.headers,
            outcome_unknown=True,
            client_built=True,
            idempotency_key=key,
        )


def _named(factory: Callable[[], httpx.BaseTransport]) -> httpx.BaseTransport:
    """The transport of a registered alias; a missing backend is LocalBackendUnavailable."""
    try:
        return factory()
    except ImportError as exc:
        raise LocalBackendUnavailable(
            "the local backend needs the 'local' extra: pip install 'image-skill[local]'"
        ) from exc
