"""Client settings: where the API is, the key, timeouts and the retry policy.

Layer: above ``errors``. The environment is read only by :func:`resolve_settings`, when a client
is built, never at import. The names and precedence are those of the official SDK
(docs/API.md#base-url-and-settings): explicit argument, then ``ARIZE_*`` environment variable, then
the default.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from arize_orgs_nb.errors import ConfigError, InsecureTransportError, MissingAPIKeyError

__all__ = [
    "DEFAULT_PACING",
    "REGIONS",
    "AdaptivePacing",
    "RateLimit",
    "RetryPolicy",
    "Secret",
    "Settings",
    "is_loopback_host",
    "resolve_settings",
]

DEFAULT_HOST = "api.arize.com"
REGIONS = ("ca-central-1a", "eu-west-1a", "us-central-1a", "us-east-1b")


class Secret:
    """A string that never shows itself: masked in repr and str, refuses to be pickled.

    Use :meth:`reveal` at the one place that needs the value (the ``Authorization`` header).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value. Only the transport's auth hook calls this."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """A short, one-way fingerprint: tells keys apart without showing them."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("an API key cannot be pickled")

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class RateLimit:
    """How fast a client may send. ``None`` leaves that kind of request unpaced.

    Attributes:
        writes_per_second: POST, PATCH and DELETE requests per second.
        reads_per_second: GET requests per second.
        burst: requests of a kind that may go at once after a quiet spell.
    """

    writes_per_second: float | None = None
    reads_per_second: float | None = None
    burst: int = 2

    def __post_init__(self) -> None:
        rates = [r for r in (self.writes_per_second, self.reads_per_second) if r is not None]
        if any(not r > 0 for r in rates):
            raise ValueError("a rate limit must be a positive number of requests per second")
        if self.burst < 1:
            raise ValueError("the burst must be at least 1 request")


@dataclass(frozen=True)
class AdaptivePacing:
    """Pacing learnt from the service's 429s, one rate per kind (reads, writes) for all threads.

    On by default (``ArizeOrgs(pacing=None)`` turns it off). Nothing is paced until the service
    answers 429: single calls and applies that meet no 429 never wait. After a 429 (whose
    ``Retry-After`` is waited out as always), requests of that kind are sent at a rate cut to
    ``beta`` times what the service accepted, which then grows back with time (CUBIC, as in the
    AWS SDKs' adaptive retry mode) until the next 429. So a bulk apply against a limit of 20
    writes/s settles just under it instead of meeting a 429 (and a pause of every worker) every
    second. See :class:`~arize_orgs_nb.http.pacing.AdaptiveRate`.

    Attributes:
        beta: the share of the accepted rate the rate drops to on a 429 (between 0 and 1).
        scale: how fast the rate grows back (CUBIC's constant, requests/s per second cubed).
        min_rate: the lowest rate, requests per second.
        window: the shortest span, in seconds, over which the first 429's accepted rate is measured
            (so the burst a service lets through first is not taken for its rate).
    """

    beta: float = 0.7
    scale: float = 0.4
    min_rate: float = 0.5
    window: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.beta < 1:
            raise ConfigError("the pacing's beta must be between 0 and 1")
        if not (self.scale > 0 and self.min_rate > 0 and self.window > 0):
            raise ConfigError("the pacing's scale, min_rate and window must be positive")


DEFAULT_PACING = AdaptivePacing()
"""The pacing a client has unless told otherwise."""


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry (docs/DESIGN.md, R13-R14; docs/RELIABILITY.md, B0).

    Attributes:
        read_attempts: attempts for idempotent calls (GET, PATCH, DELETE, add_user).
        write_attempts: attempts for create (POST), where only safe failures are retried.
        backoff_base: first backoff ceiling in seconds; doubles per attempt (full jitter).
        throttled_backoff_base: the same after a 429 that gave no ``Retry-After``.
        backoff_cap: largest backoff ceiling in seconds.
        retry_after_cap: longest ``Retry-After`` waited out; a longer one raises at once.
        total_wait_cap: most seconds spent sleeping for one call, all retries together.
        retry_budget: tokens in the client's retry budget, shared by all its threads. A retry
            takes ``retry_cost`` tokens (``throttled_retry_cost`` after a 429), a success puts
            one back; with too few tokens left a call fails after its first attempt. So an
            outage costs about one request per call instead of one per attempt. ``None``: no
            budget (every call gets all its attempts).
        retry_cost: tokens a retry takes after a 5xx or a network failure.
        throttled_retry_cost: tokens a retry takes after a 429.
    """

    read_attempts: int = 4
    write_attempts: int = 3
    backoff_base: float = 0.5
    throttled_backoff_base: float = 1.0
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0
    total_wait_cap: float = 120.0
    retry_budget: int | None = 100
    retry_cost: int = 5
    throttled_retry_cost: int = 1

    def __post_init__(self) -> None:
        if self.read_attempts < 1 or self.write_attempts < 1:
            raise ConfigError("retry attempts must be at least 1")
        if min(self.retry_budget or 0, self.retry_cost, self.throttled_retry_cost) < 0:
            raise ConfigError("the retry budget and retry costs cannot be negative")
        if min(self.backoff_base, self.throttled_backoff_base, self.backoff_cap, self.retry_after_cap) < 0:
            raise ConfigError("retry delays cannot be negative")


@dataclass(frozen=True)
class Settings:
    """Everything a client needs to reach the API.

    Attributes:
        base_url: ``scheme://host[:port]`` with no trailing slash.
        api_key: the key, as a :class:`Secret`.
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for an answer.
        retry: the retry policy.
        verify: TLS verification: a bool, or a CA bundle path (which wins over
            ``REQUESTS_CA_BUNDLE``).
        pool_size: connections kept per host (sized for concurrent bulk applies).
        proxy: ``ARIZE_PROXY_URL``, the proxy for every request of this client (a secret: it may
            carry credentials); ``None`` leaves proxies to ``requests`` (see ``trust_env``). A
            server on this machine is never reached through a proxy.
        rate_limit: a fixed client-side rate (off by default; see :class:`RateLimit`).
        pacing: the rate learnt from 429s (on by default; ``None`` turns it off; see
            :class:`AdaptivePacing`). Under a ``rate_limit`` it learns below that rate.
        trust_env: let ``requests`` read the process environment (its ``Session.trust_env``):
            ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` /
            ``CURL_CA_BUNDLE``. True when the settings were read from the process environment,
            false when an ``environ`` mapping was given instead.
    """

    base_url: str
    api_key: Secret = field(repr=True)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    verify: bool | str = True
    pool_size: int = 16
    proxy: Secret | None = None
    rate_limit: RateLimit = field(default_factory=RateLimit)
    trust_env: bool = True
    pacing: AdaptivePacing | None = DEFAULT_PACING

    @property
    def host(self) -> str:
        """The host part of :attr:`base_url`."""
        return _split_host(self.base_url.split("://", 1)[1])[0]

    @property
    def is_loopback(self) -> bool:
        """True when the API is on this machine (the sandbox, or a local proxy)."""
        return is_loopback_host(self.host)


def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names this machine: ``localhost``, ``*.localhost``, 127/8 or ::1.

    Args:
        host: a bare host name or IP literal (IPv6 with or without brackets).

    Returns:
        True only for loopback names and addresses; ``localhost.evil.com`` and ``0.0.0.0`` are not.
    """
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split_host(netloc: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (IPv6 literals in brackets) into host and port."""
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    elif netloc.count(":") == 1:
        host, port = netloc.split(":")
    elif ":" in netloc:
        try:
            ipaddress.IPv6Address(netloc)
        except ValueError:
            raise ConfigError(
                f"invalid API host {netloc!r}: put an IPv6 address in brackets, e.g. [::1]:8080"
            ) from None
        host, port = netloc, ""
    else:
        host, port = netloc, ""
    if not port:
        return host, None
    if not port.isdigit():
        raise ConfigError(f"invalid port in API host {netloc!r}")
    return host, int(port)


def _pick(explicit: str | int | None, environ: Mapping[str, str], name: str) -> str | None:
    if explicit is not None:
        return str(explicit).strip()
    value = environ.get(name)
    return value.strip() if value is not None else None


def resolve_settings(
    *,
    api_key: str | None = None,
    api_host: str | None = None,
    api_scheme: str | None = None,
    api_port: int | None = None,
    region: str | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    verify: bool | str | None = None,
    pool_size: int = 16,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
    rate_limit: RateLimit | None = None,
    pacing: AdaptivePacing | None = DEFAULT_PACING,
) -> Settings:
    """Build :class:`Settings` from arguments and the ``ARIZE_*`` environment variables.

    Args:
        api_key: the key; falls back to ``ARIZE_API_KEY``.
        api_host: REST host, optionally ``host:port``; falls back to ``ARIZE_API_HOST``, then
            ``api.arize.com``.
        api_scheme: ``https`` (default) or ``http``; falls back to ``ARIZE_API_SCHEME``.
        api_port: port, 0 means "none"; falls back to ``ARIZE_API_PORT``.
        region: one of :data:`REGIONS`; falls back to ``ARIZE_REGION``. Overrides the host.
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for an answer.
        retry: the retry policy (defaults apply when None).
        verify: TLS verification; falls back to ``ARIZE_REQUEST_VERIFY`` (default true), and a
            true value to the CA bundle ``ARIZE_SSL_CA_CERT`` when it is set.
        pool_size: connections kept per host.
        rate_limit: a fixed client-side rate; none by default.
        pacing: the rate learnt from 429s; ``None`` turns it off.
        allow_insecure_http: allow ``http`` to a host that is not loopback (never do this with a
            real key: it is sent in clear text).
        environ: the environment to read (default: ``os.environ``, read now). A mapping given
            here is the client's whole environment: ``requests`` then reads no proxy or CA
            bundle variable from the process (``ARIZE_PROXY_URL`` and ``ARIZE_SSL_CA_CERT`` in
            the mapping still apply).

    Returns:
        The settings.

    Raises:
        MissingAPIKeyError: no key anywhere.
        InsecureTransportError: ``http`` to a non-loopback host without ``allow_insecure_http``.
        ConfigError: an invalid scheme, port, region or timeout.
    """
    # A traceback that shows locals (IPython's %xmode Verbose, docs/RELIABILITY.md, C7) prints every local
    # of this frame when a setting below is refused: hold the environment behind a masking repr
    # and the key only as a Secret.
    env: Mapping[str, str] = _Environment(os.environ if environ is None else environ)
    key = Secret(_pick(api_key, env, "ARIZE_API_KEY") or "")
    if not key:
        raise MissingAPIKeyError

    scheme = (_pick(api_scheme, env, "ARIZE_API_SCHEME") or "https").lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"api_scheme must be 'http' or 'https', not {scheme!r}")

    region_name = _pick(region, env, "ARIZE_REGION") or ""
    if region_name and region_name not in REGIONS:
        raise ConfigError(f"unknown region {region_name!r}; expected one of {', '.join(REGIONS)}")

    host_text = _pick(api_host, env, "ARIZE_API_HOST") or DEFAULT_HOST
    if "://" in host_text or "/" in host_text or "@" in host_text:
        raise ConfigError(f"api_host must be a bare host name such as 'api.arize.com', not {host_text!r}")
    host, embedded_port = _split_host(host_text)
    if region_name:
        host, embedded_port = f"api.{region_name}.arize.com", None

    port_text = _pick(api_port, env, "ARIZE_API_PORT")
    port = embedded_port
    if port_text:
        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise ConfigError(f"api_port must be an integer from 0 to 65535, not {port_text!r}")
        port = int(port_text) or embedded_port

    loopback = is_loopback_host(host)
    if scheme == "http" and not loopback and not allow_insecure_http:
        raise InsecureTransportError(
            f"refusing plain http:// to {host!r}: the API key would travel in clear text. "
            "Use https, or a loopback host (127.0.0.1, localhost) for a local server."
        )
    if connect_timeout <= 0 or read_timeout <= 0:
        raise ConfigError("timeouts must be positive")

    if verify is None:
        verify = env.get("ARIZE_REQUEST_VERIFY", "true").strip().lower() in ("1", "true", "yes", "on")
        ca_bundle = env.get("ARIZE_SSL_CA_CERT", "").strip()
        if verify and ca_bundle:
            verify = ca_bundle
    proxy = None if loopback else env.get("ARIZE_PROXY_URL", "").strip()

    netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host  # a bare IPv6 literal
    base_url = f"{scheme}://{netloc}" + (f":{port}" if port else "")
    return Settings(
        base_url=base_url,
        api_key=key,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retry=retry or RetryPolicy(),
        verify=verify,
        pool_size=pool_size,
        proxy=Secret(proxy) if proxy else None,
        rate_limit=rate_limit or RateLimit(),
        trust_env=environ is None or environ is os.environ,
        pacing=pacing,
    )


class _Environment(Mapping[str, str]):
    """A read-only view of an environment whose repr lists nothing (it holds the API key)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str]) -> None:
        self._data = data

    def __getitem__(self, name: str) -> str:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return "<environment>"
