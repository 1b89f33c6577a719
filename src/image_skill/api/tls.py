"""A verifying TLS client context whose CA certificates load at the first handshake.

httpx builds its SSL context, CA bundle included, when a transport is created: tens of
milliseconds paid by every command, although most calls (``http://`` base URLs, the
in-process backend) never open a TLS connection. :func:`lazy_verifying_context` gives a
transport the same context without that cost up front: it verifies certificates and host
names from the start, and loads the CA certificates httpx would use (``SSL_CERT_FILE``,
``SSL_CERT_DIR``, else certifi's bundle) just before its first ``wrap_socket`` /
``wrap_bio``. Should anything handshake without going through those, no CA is loaded, so
the handshake fails: it never connects unverified.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from typing import Any

__all__ = ["LazyVerifyingContext", "lazy_verifying_context"]


class LazyVerifyingContext(ssl.SSLContext):
    """``ssl.create_default_context()`` for server authentication, CA load deferred."""

    _trust_env: bool
    _loaded: bool
    _lock: threading.Lock

    def __new__(cls, trust_env: bool = True) -> LazyVerifyingContext:
        self = super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)
        self._trust_env = trust_env
        self._loaded = False
        self._lock = threading.Lock()
        return self

    def __init__(self, trust_env: bool = True) -> None:  # noqa: ARG002 (set in __new__)
        # What ssl.create_default_context sets besides the CA certificates.
        self.verify_mode = ssl.CERT_REQUIRED
        self.check_hostname = True
        if sys.version_info >= (3, 13):  # pragma: no cover (the default context's flags)
            self.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and not sys.flags.ignore_environment:
            self.keylog_filename = keylog

    @property
    def loaded(self) -> bool:
        """Whether the CA certificates are loaded (after the first handshake)."""
        return self._loaded

    def load_ca_certificates(self) -> None:
        """Load the CA certificates now, as httpx would (idempotent, thread-safe)."""
        with self._lock:
            if self._loaded:
                return
            cafile = os.environ.get("SSL_CERT_FILE") if self._trust_env else None
            capath = os.environ.get("SSL_CERT_DIR") if self._trust_env else None
            if cafile:
                self.load_verify_locations(cafile=cafile)
            elif capath:
                self.load_verify_locations(capath=capath)
            else:
                import certifi

                self.load_verify_locations(cafile=certifi.where())
            self._loaded = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.load_ca_certificates()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.load_ca_certificates()
        return super().wrap_bio(*args, **kwargs)


def lazy_verifying_context(trust_env: bool = True) -> LazyVerifyingContext:
    """A new :class:`LazyVerifyingContext` (pass it as an httpx transport's ``verify=``)."""
    return LazyVerifyingContext(trust_env)
