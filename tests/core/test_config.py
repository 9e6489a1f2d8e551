import os
import pickle

import pytest

from arize_orgs_nb import ArizeOrgs, InsecureTransportError, MissingAPIKeyError
from arize_orgs_nb.config import ConfigError, Secret, is_loopback_host, resolve_settings

KEY = "canary-key-3f9a"


def test_defaults_match_the_official_sdk():
    settings = resolve_settings(api_key=KEY, environ={})
    assert settings.base_url == "https://api.arize.com"
    assert settings.api_key.reveal() == KEY


def test_environment_variables_are_read_when_called():
    env = {
        "ARIZE_API_KEY": f"  {KEY} ",
        "ARIZE_API_HOST": "localhost",
        "ARIZE_API_SCHEME": "HTTP",
        "ARIZE_API_PORT": "8080",
    }
    settings = resolve_settings(environ=env)
    assert settings.base_url == "http://localhost:8080"
    assert settings.api_key.reveal() == KEY


def test_explicit_arguments_beat_the_environment():
    env = {"ARIZE_API_KEY": "env-key", "ARIZE_API_HOST": "env.example.com"}
    settings = resolve_settings(api_key=KEY, api_host="arg.example.com", environ=env)
    assert settings.base_url == "https://arg.example.com"
    assert settings.api_key.reveal() == KEY


def test_region_overrides_host():
    settings = resolve_settings(api_key=KEY, api_host="ignored.example.com", region="eu-west-1a", environ={})
    assert settings.base_url == "https://api.eu-west-1a.arize.com"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("localhost:9000", None, "https://localhost:9000"),
        ("localhost:9000", 9100, "https://localhost:9100"),
        ("api.arize.com", 0, "https://api.arize.com"),
    ],
)
def test_host_and_port_combine_as_in_the_sdk(host, port, expected):
    assert resolve_settings(api_key=KEY, api_host=host, api_port=port, environ={}).base_url == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_scheme": "ftp"},
        {"region": "mars-1"},
        {"api_port": 70000},
        {"api_host": "https://api.arize.com"},
        {"api_host": "user@host"},
        {"api_host": "a:b:c"},
        {"api_host": "host:80:81"},
    ],
)
def test_invalid_settings_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        resolve_settings(api_key=KEY, environ={}, **kwargs)


@pytest.mark.parametrize(
    ("host", "base_url"),
    [("::1", "http://[::1]"), ("[::1]:8080", "http://[::1]:8080"), ("localhost:9", "http://localhost:9")],
)
def test_ipv6_literals_and_ports_are_read(host, base_url):
    assert resolve_settings(api_key=KEY, environ={}, api_host=host, api_scheme="http").base_url == base_url


def test_missing_key_suggests_the_sandbox():
    with pytest.raises(MissingAPIKeyError, match=r"ArizeOrgs\.sandbox\(\)"):
        ArizeOrgs(environ={})
    with pytest.raises(MissingAPIKeyError):
        ArizeOrgs(environ={"ARIZE_API_KEY": "   "})


@pytest.mark.parametrize(
    "host",
    ["example.com", "10.0.0.5", "localhost.evil.com", "127.0.0.1.nip.io", "0.0.0.0", "192.168.1.1"],
)
def test_plain_http_to_a_remote_host_is_refused(host):
    with pytest.raises(InsecureTransportError, match="clear text"):
        ArizeOrgs(api_key=KEY, api_host=host, api_scheme="http", environ={})


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.2:8080", "sandbox.localhost"])
def test_plain_http_to_loopback_is_allowed(host):
    client = ArizeOrgs(api_key=KEY, api_host=host, api_scheme="http", environ={})
    assert client.base_url.startswith("http://")
    client.close()


def test_insecure_http_needs_an_explicit_opt_in():
    client = ArizeOrgs(
        api_key=KEY, api_host="example.com", api_scheme="http", allow_insecure_http=True, environ={}
    )
    assert client.base_url == "http://example.com"
    client.close()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.9.9.9", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost.evil.com", False),
        ("0.0.0.0", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host, loopback):
    assert is_loopback_host(host) is loopback


def test_secret_never_shows_itself():
    secret = Secret(KEY)
    assert KEY not in repr(secret)
    assert KEY not in str(secret)
    assert KEY not in f"{secret}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert len(secret.fingerprint) == 12
    assert KEY not in secret.fingerprint


def test_settings_repr_masks_the_key():
    settings = resolve_settings(api_key=KEY, environ={})
    assert KEY not in repr(settings)
    assert KEY not in str(settings)


def test_only_the_process_environment_is_trusted_by_requests():
    assert resolve_settings(api_key=KEY).trust_env is True  # os.environ, read now
    assert resolve_settings(api_key=KEY, environ=os.environ).trust_env is True
    assert resolve_settings(api_key=KEY, environ={}).trust_env is False
    assert resolve_settings(api_key=KEY, environ=dict(os.environ)).trust_env is False  # a copy is a mapping


@pytest.mark.parametrize(
    ("env", "verify"),
    [
        ({}, True),
        ({"ARIZE_SSL_CA_CERT": " /ca.pem "}, "/ca.pem"),
        ({"ARIZE_REQUEST_VERIFY": "false", "ARIZE_SSL_CA_CERT": "/ca.pem"}, False),
        ({"REQUESTS_CA_BUNDLE": "/req.pem"}, True),  # requests' own: it reads it when it sends
        ({"SSL_CERT_FILE": "/ssl.pem"}, True),
    ],
)
def test_verify_is_the_sdk_setting_and_ca_bundles_are_left_to_requests(env, verify):
    assert resolve_settings(api_key=KEY, environ=env).verify == verify
    assert resolve_settings(api_key=KEY, environ=env, verify=False).verify is False


@pytest.mark.parametrize(
    ("host", "env", "proxy"),
    [
        ("api.arize.com", {"ARIZE_PROXY_URL": "http://u:p@proxy:3128"}, "http://u:p@proxy:3128"),
        ("api.arize.com", {"HTTPS_PROXY": "http://proxy:3128"}, None),  # requests' own
        ("127.0.0.1:9", {"ARIZE_PROXY_URL": "http://proxy:3128"}, None),  # this machine: never proxied
    ],
)
def test_the_sdk_proxy_setting_is_kept_as_a_secret(host, env, proxy):
    settings = resolve_settings(api_key=KEY, api_host=host, environ=env)
    assert (settings.proxy.reveal() if settings.proxy else None) == proxy
    assert "u:p" not in repr(settings)
