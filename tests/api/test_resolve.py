import pytest

from arize_orgs_nb.api.resolve import is_resource_id


@pytest.mark.parametrize(
    ("value", "is_id"),
    [
        ("T3JnYW5pemF0aW9uOjEyMzQ1", True),
        ("VXNlcjoxMjM0NQ==", True),
        ("VXNlcjo0MjphQmNE", True),
        ("YTpi", True),
        ("VXNlcjoxMjM0NQ", False),
        ("T3JnYW5pemF0aW9u", False),
        ("Agent Engineering Team", False),
        ("my-org", False),
        ("prod", False),
        ("", False),
        ("VXNlcjoxMjM0NQ==\n", False),
    ],
)
def test_ids_are_recognised_as_the_sdk_does(value, is_id):
    assert is_resource_id(value) is is_id
