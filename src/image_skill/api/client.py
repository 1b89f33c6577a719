"""`ImageSkillClient`: the one HTTP client for the Image Skill API.

Every request goes through :meth:`ImageSkillClient.request`, which returns a
:class:`~image_skill.envelope.Result` (the envelope to print and the exit code it maps to).
API errors are data, not exceptions: a well-formed envelope the server sent is relayed
unchanged. Transport failures, non-JSON replies, replies over ``MAX_REPLY_BYTES`` and
malformed envelopes (``ok`` not a boolean, a failure without an ``error`` object holding a
string ``code``) become client-built ``HOSTED_API_NON_JSON_RESPONSE`` failures; a malformed
envelope is kept under ``error.raw_reply``. For a request that may spend (one sent with an
idempotency key) any such reply is an unknown outcome: retryable, with the same-key recovery.

Retries happen only where nothing can have been spent: GET requests, a connection that
was refused before anything was sent, and 429/503 replies that carry ``Retry-After``.
``timeout`` is a total limit per attempt (connect and the whole reply,
:mod:`~image_skill.api.deadline`); an attempt that runs out of it is not retried. Redirects
are followed only within the request's origin (:mod:`~image_skill.api.redirects`).
The client never prints.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.api.deadline import deadline, deadline_transport
from image_skill.api.endpoints import (
    EndpointsMixin,
    PublicFetch,
    public_fetch_failed,
    public_fetch_reply,
)
from image_skill.api.exchange import send_within_origin
from image_skill.api.redirects import RedirectRefused, redirect_refused
from image_skill.api.replies import non_envelope_failure
from image_skill.api.wire import (
    MAX_REPLY_BYTES,
    encode_path_id,
    envelope_problem,
    header_exit_code,
    json_body,
    parse_envelope_body,
    parse_retry_after,
    read_capped,
    resolve_base_url,
    status_exit_code,
)
from image_skill.envelope import Result
from image_skill.files.netpolicy import DEFAULT_PORTS, NetworkPolicy, Origin

if TYPE_CHECKING:
    from image_skill.commands import CommandContext

Params = Sequence[tuple[str, str]]

__all__ = [
    "ImageSkillClient",
    "LocalBackendUnavailable",
    "encode_path_id",
    "json_body",
    "parse_envelope_body",
    "resolve_base_url",
    "status_exit_code",
]


class LocalBackendUnavailable(RuntimeError):
    """`--api-base-url local` was asked for but the `local` extra is not installed."""


class ImageSkillClient(EndpointsMixin):
    """Synchronous client. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int = C.MAX_RETRIES,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str | None = None,
        command_context: CommandContext | None = None,
        allow_private_network: bool = False,
    ) -> None:
        self.configured_base_url = resolve_base_url(base_url)
        #: ``timeout`` is a total limit per attempt (connect and the whole reply), not only
        #: per read: see :mod:`image_skill.api.deadline`. None: the per-read defaults only.
        self.attempt_limit = timeout
        #: Whether URL inputs may be fetched from loopback and private addresses.
        self.allow_private_network = allow_private_network
        self.token = token
        self.max_retries = max(0, max_retries)
        self._sleep = sleep
        #: How commands suggested in recoveries are rendered (prefix, --api-base-url).
        self.command_context = command_context
        self.in_process = self.configured_base_url == C.LOCAL_BASE_URL_ALIAS
        self.base_url = C.IN_PROCESS_ORIGIN if self.in_process else self.configured_base_url
        self._owns_client = http_client is None
        if http_client is None:
            transport: httpx.BaseTransport
            if self.in_process:
                transport = _in_process_transport()
            else:
                transport = deadline_transport()
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
            candidate = httpx.URL(url)
            base = httpx.URL(self.base_url)
        except (httpx.InvalidURL, TypeError):
            return False
        return (candidate.scheme, candidate.host, candidate.port) == (
            base.scheme,
            base.host,
            base.port,
        )

    def network_policy(self) -> NetworkPolicy:
        """The policy for URL inputs fetched on the user's behalf: public addresses only,
        plus this API's own origin, plus private networks when the client allows them."""
        allowed: frozenset[Origin] = frozenset()
        if not self.in_process:
            base = httpx.URL(self.base_url)
            port = base.port if base.port is not None else DEFAULT_PORTS.get(base.scheme, 0)
            allowed = frozenset({(base.scheme, base.raw_host.decode("ascii").lower(), port)})
        return NetworkPolicy(allow_private=self.allow_private_network, allowed_origins=allowed)

    # -- the one request path --------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        label: str,
        json: Any = None,
        params: Params | None = None,
        auth: bool = True,
        token: str | None = None,
        idempotency_key: str | None = None,
        recovery_command: str | None = None,
    ) -> Result:
        """Send one API request and map the outcome to a :class:`Result`.

        ``auth`` sends the bearer token (``token`` overrides the client's) when one exists.
        ``idempotency_key`` marks a request that may spend: failures whose outcome is
        unknown then carry that same key, and ``recovery_command`` in their recovery.
        """
        headers = {"accept": "application/json"}
        bearer = token if token is not None else self.token
        if auth and bearer is not None:
            headers["authorization"] = f"Bearer {bearer}"
        content: bytes | None = None
        if json is not None:
            headers["content-type"] = "application/json"
            content = json_body(json)
        url = self.url(path, params)
        method = method.upper()
        attempt = 0
        while True:
            try:
                response, body = self._exchange(method, url, headers, content)
            except RedirectRefused as exc:
                return redirect_refused(
                    label, exc, self.configured_base_url, idempotency_key, recovery_command
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
                return self._transport_failure(label, exc, idempotency_key, recovery_command)
            delay = self._retry_delay(method, response, attempt)
            if delay is not None:
                attempt += 1
                self._sleep(delay)
                continue
            return self._to_result(response, body, label, idempotency_key, recovery_command)

    def _exchange(
        self, method: str, url: httpx.URL, headers: dict[str, str], content: bytes | None
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
    def stream(self, url: str, *, timeout: float | None = None) -> Iterator[httpx.Response]:
        """Stream a GET of an absolute URL (asset downloads). No Authorization header."""
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = timeout
        with self._http.stream("GET", url, **kwargs) as response:
            yield response

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
    def _to_result(
        self,
        response: httpx.Response,
        body: bytes | None,
        label: str,
        idempotency_key: str | None,
        recovery_command: str | None,
    ) -> Result:
        envelope = parse_envelope_body(body) if body is not None else None
        status = response.status_code
        if envelope is None:
            envelope = non_envelope_failure(status, label, idempotency_key, recovery_command)
        else:
            problem = envelope_problem(envelope)
            if problem is not None:
                envelope = non_envelope_failure(
                    status, label, idempotency_key, recovery_command, malformed=(problem, envelope)
                )
        if envelope.get("ok") is True:
            # The printed envelope decides success: exit 0 iff it says ``"ok": true``. A
            # non-zero header on an ok envelope breaks the server contract and is ignored.
            return Result(envelope, 0)
        header = response.headers.get("x-image-skill-exit-code")
        exit_code = header_exit_code(header) if header is not None else None
        if not exit_code:
            # A failure must never look like success, and a header outside the contract's
            # codes 0-9 (``42``) is not taken: the HTTP status decides instead.
            exit_code = status_exit_code(status)
        return Result(envelope, exit_code)

    def _unknown_outcome_recovery(
        self, idempotency_key: str | None, recovery_command: str | None, retry_after: int
    ) -> dict[str, Any]:
        recovery: dict[str, Any] = {}
        if idempotency_key is not None:
            recovery["suggested_command"] = recovery_command
            recovery["idempotency_key"] = idempotency_key
        else:
            from image_skill.commands import render

            recovery["suggested_command"] = render(["doctor", "--json"], self.command_context)
        recovery["docs_url"] = C.DOCS_URL
        recovery["retry_after_seconds"] = retry_after
        return recovery

    def _transport_failure(
        self,
        label: str,
        exc: Exception,
        idempotency_key: str | None,
        recovery_command: str | None,
    ) -> Result:
        """No reply: ``TIMEOUT`` for a timeout, else ``HOSTED_API_REQUEST_FAILED``."""
        name = exc.__class__.__name__
        if isinstance(exc, httpx.TimeoutException):
            code, retry_after = E.TIMEOUT, 5
            within = f"within {self.attempt_limit:g} s " if self.attempt_limit is not None else ""
            message = (
                f"request to {self.configured_base_url} timed out {within}({name}); "
                "the outcome is unknown"
            )
        else:
            code, retry_after = E.HOSTED_API_REQUEST_FAILED, 30
            message = f"request to {self.configured_base_url} failed: {name}"
            detail = str(exc).strip()
            if detail:
                message += f": {detail}"
        return E.error_result(
            label,
            code,
            message,
            retryable=True,
            recovery=self._unknown_outcome_recovery(idempotency_key, recovery_command, retry_after),
        )


def _in_process_transport() -> httpx.BaseTransport:
    try:
        from image_skill.local import make_in_process_transport, require_extra

        require_extra()
    except ImportError as exc:
        raise LocalBackendUnavailable(
            "the local backend needs the 'local' extra: pip install 'image-skill[local]'"
        ) from exc
    transport: httpx.BaseTransport = make_in_process_transport()
    return transport
