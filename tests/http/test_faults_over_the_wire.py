"""Error mapping, retries and lost responses, with the sandbox's scheduled faults."""

import pytest

from arize_orgs_nb import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)

ORGS = "/v2/organizations"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_every_error_status_maps_to_its_class(client, clock, status, cls):
    client.local_sandbox.faults.add(status=status, method="GET", times=10)
    with pytest.raises(cls) as info:
        client.organizations.list()
    error = info.value
    assert isinstance(error, ApiError)
    assert error.status == status
    assert error.title
    text = str(error)
    assert f"GET {ORGS} -> {status}" in text
    assert error.title in text
    if error.detail:
        assert error.detail in text
    expected_attempts = 4 if status >= 500 else 1
    assert error.attempts == expected_attempts
    assert client.local_sandbox.log.count(method="GET") == expected_attempts


def test_a_429_beyond_the_cap_raises_at_once_with_retry_after(client, clock):
    client.local_sandbox.faults.add(status=429, retry_after=3600, method="GET")
    with pytest.raises(RateLimitError) as info:
        client.organizations.list()
    assert info.value.retry_after == 3600
    assert clock.sleeps == []
    assert "Retry-After: 3600" in str(info.value)


def test_a_429_with_retry_after_is_waited_out_then_succeeds(client, clock, caplog):
    client.local_sandbox.state.create_org("A")
    client.local_sandbox.faults.add(status=429, retry_after=2, method="GET", times=2)
    with caplog.at_level("WARNING", logger="arize_orgs_nb"):
        page = client.organizations.list()
    assert [o.name for o in page.organizations] == ["A"]
    assert clock.sleeps == [2.0, 2.0]
    assert client.local_sandbox.log.count(method="GET") == 3
    assert sum("rate limited" in r.getMessage() for r in caplog.records) == 2


def test_real_statuses_from_the_server(client):
    state = client.local_sandbox.state
    org = client.organizations.create(name="Org")
    annotator = state.create_user("Ann", "ann@example.com", role="ANNOTATOR")
    with pytest.raises(BadRequestError) as info:
        client.organizations.add_user(organization=org.id, user_id=annotator["id"], role="MEMBER")
    assert "annotator" in str(info.value).lower()
    assert info.value.type and info.value.type.startswith("https://")
    with pytest.raises(NotFoundError):
        client.organizations.get(organization="T3JnYW5pemF0aW9uOjk5OTk5OTpaWlpa")


def test_a_wrong_key_is_401_and_a_read_only_key_is_403(clock):
    from arize_orgs_nb import ArizeOrgs
    from arize_orgs_nb.sandbox import Sandbox

    with Sandbox(api_key="right", read_only_key="viewer") as server:
        url = server.serve()
        host = url.split("://")[1]
        wrong = ArizeOrgs(api_key="wrong", api_host=host, api_scheme="http", environ={}, sleep=clock.sleep)
        with pytest.raises(AuthenticationError) as info:
            wrong.organizations.list()
        assert info.value.status == 401
        viewer = ArizeOrgs(api_key="viewer", api_host=host, api_scheme="http", environ={}, sleep=clock.sleep)
        assert viewer.organizations.list().organizations == []
        with pytest.raises(PermissionDeniedError):
            viewer.organizations.create(name="Nope")
        assert server.state.orgs() == []


def test_a_non_json_error_body_is_handled(client):
    client.local_sandbox.faults.add(
        status=502,
        body="<html><body><h1>502 Bad Gateway</h1></body></html>",
        content_type="text/html",
        times=4,
    )
    with pytest.raises(ServerError, match="non-JSON error body") as info:
        client.organizations.list()
    assert "502 Bad Gateway" in str(info.value)


def test_a_non_json_success_body_is_a_protocol_error(client):
    client.local_sandbox.faults.add(status=200, body="<html>login</html>", content_type="text/html")
    with pytest.raises(ProtocolError, match="expected a JSON body"):
        client.organizations.list()


def test_create_whose_response_is_lost_after_commit_leaves_one_org(client):
    client.local_sandbox.faults.add(drop="after", method="POST", path=ORGS)
    org = client.organizations.create(name="Exactly Once", description="d")
    assert org.name == "Exactly Once"
    assert [o["name"] for o in client.local_sandbox.state.orgs()] == ["Exactly Once"]
    assert client.local_sandbox.log.count(method="POST") == 1


def test_create_dropped_before_commit_is_sent_again(client):
    client.local_sandbox.faults.add(drop="before", method="POST", path=ORGS)
    org = client.organizations.create(name="Second Try")
    assert [o["id"] for o in client.local_sandbox.state.orgs()] == [org.id]
    assert client.local_sandbox.log.count(method="POST") == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_after_a_5xx_reconciles_then_retries(client, status):
    client.local_sandbox.faults.add(status=status, method="POST", path=ORGS)
    client.organizations.create(name="After 5xx")
    assert [o["name"] for o in client.local_sandbox.state.orgs()] == ["After 5xx"]
    assert client.local_sandbox.log.count(method="POST") == 2


def test_create_conflict_on_the_first_attempt_is_not_retried(client):
    client.organizations.create(name="Taken")
    client.local_sandbox.log.clear()
    with pytest.raises(ConflictError):
        client.organizations.create(name="Taken")
    assert client.local_sandbox.log.count(method="POST") == 1


def test_update_whose_response_is_lost_is_retried(client):
    org = client.organizations.create(name="Before")
    client.local_sandbox.faults.add(drop="after", method="PATCH")
    assert client.organizations.update(organization=org.id, name="After").name == "After"
    assert client.local_sandbox.log.count(method="PATCH") == 2


def test_delete_whose_response_is_lost_is_confirmed_by_404(client):
    org = client.organizations.create(name="Gone")
    client.local_sandbox.faults.add(drop="after", method="DELETE")
    assert client.organizations.delete(organization=org.id) is None
    assert client.local_sandbox.state.orgs() == []
    assert client.local_sandbox.log.count(method="DELETE") == 2


def test_a_404_on_the_first_delete_is_an_error(client):
    with pytest.raises(NotFoundError):
        client.organizations.delete(organization="T3JnYW5pemF0aW9uOjk5OTk5OTpaWlpa")


def test_add_and_remove_user_whose_responses_are_lost(client):
    org = client.organizations.create(name="Org")
    user = client.local_sandbox.state.create_user("Ana", "ana@example.com")
    client.local_sandbox.faults.add(drop="after", method="POST", path=f"{ORGS}/*")
    client.organizations.add_user(organization=org.id, user_id=user["id"], role="ADMIN")
    assert len(client.local_sandbox.state.memberships()) == 1
    client.local_sandbox.faults.add(drop="after", method="DELETE")
    client.organizations.remove_user(organization=org.id, user_id=user["id"])
    assert client.local_sandbox.state.memberships() == []


def test_connection_refused_is_retried_then_reported(clock):
    import socket

    from arize_orgs_nb import APIConnectionError, ArizeOrgs

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ArizeOrgs(
        api_key="k",
        api_host=f"127.0.0.1:{port}",
        api_scheme="http",
        environ={},
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(APIConnectionError, match="cannot reach 127.0.0.1") as info:
        client.organizations.list()
    assert info.value.attempts == 4
    assert info.value.ambiguous is False
    assert len(clock.sleeps) == 3
