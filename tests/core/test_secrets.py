"""A canary key must appear in no repr, str, exception, log record or pickle."""

import base64
import copy
import logging
import pickle
import urllib.parse

import pytest

from arize_orgs_nb import ApiError, ArizeOrgs, OrgsNbError
from arize_orgs_nb.sandbox import Sandbox

CANARY = "ak-canary-7Hq9+Zx/Wv=="
FORMS = [
    CANARY,
    base64.b64encode(CANARY.encode()).decode(),
    urllib.parse.quote(CANARY, safe=""),
    urllib.parse.quote_plus(CANARY),
]


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


@pytest.fixture
def canary_client(clock):
    with Sandbox(api_key=CANARY, read_only_key="viewer") as server:
        url = server.serve()
        client = ArizeOrgs(
            api_key=CANARY,
            api_host=url.split("://")[1],
            api_scheme="http",
            environ={},
            sleep=clock.sleep,
            clock=clock,
        )
        client.local_sandbox_for_test = server
        yield client
        client.close()


def test_the_key_is_in_no_repr_str_exception_or_log(canary_client, caplog):
    client = canary_client
    server = client.local_sandbox_for_test
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3").setLevel(logging.DEBUG)
        org = client.organizations.create(name="Org")
        errors: list[BaseException] = []
        for status in (400, 401, 403, 404, 409, 422, 429, 500, 502):
            server.faults.add(
                status=status, method="GET", times=4, retry_after=3600 if status == 429 else None
            )
            try:
                client.organizations.get(organization=org.id)
            except OrgsNbError as exc:
                errors.append(exc)
        server.faults.add(drop="before", method="GET", times=4)
        try:
            client.organizations.list()
        except OrgsNbError as exc:
            errors.append(exc)
        assert len(errors) == 10
    for obj in [
        client,
        client.settings,
        client.settings.api_key,
        client.transport,
        client.transport._auth,
        client.organizations,
        client.users,
        org,
    ]:
        texts += [repr(obj), str(obj)]
    for exc in errors:
        texts += [repr(exc), str(exc), repr(vars(exc)), repr(exc.args)]
        assert exc.__context__ is None or not leaks(repr(exc.__context__))
        if isinstance(exc, ApiError):
            texts.append(repr(pickle.loads(pickle.dumps(exc))))
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert caplog.records, "debug logging captured nothing"
    found = {text[:80]: leaks(text) for text in texts if leaks(text)}
    assert found == {}


def test_clients_and_keys_refuse_to_be_pickled_or_copied_with_the_key(canary_client):
    with pytest.raises(TypeError):
        pickle.dumps(canary_client)
    with pytest.raises(TypeError):
        pickle.dumps(canary_client.settings)
    with pytest.raises(TypeError):
        copy.deepcopy(canary_client.settings.api_key)


def test_the_key_travels_only_in_the_authorization_header(canary_client):
    server = canary_client.local_sandbox_for_test
    canary_client.organizations.list(name="x")
    (record,) = server.log.records()
    assert not leaks(record.raw_path)
    assert not leaks(repr(record.query))


def test_netrc_does_not_replace_the_bearer_key(canary_client, tmp_path, monkeypatch):
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password other-secret\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    assert canary_client.organizations.list().organizations == []  # a 401 would raise
