"""The client's network policy for URL inputs: the API's own origin, and the opt-in."""

from __future__ import annotations

import pytest

from image_skill.api.client import ImageSkillClient
from image_skill.api.netpolicy import DestinationRefused


def test_the_api_origin_is_the_one_allowed_exception() -> None:
    with ImageSkillClient(base_url="http://127.0.0.1:8123/prefix") as client:
        policy = client.network_policy()
    assert set(policy.allowed_origins) == {("http", "127.0.0.1", 8123)}
    assert policy.vet("http", "127.0.0.1", 8123).allowed_by == "api_origin"
    with pytest.raises(DestinationRefused):
        policy.vet("http", "127.0.0.1", 8124)


@pytest.mark.parametrize(
    ("base", "origin"),
    [
        ("http://[::1]:9/", ("http", "::1", 9)),
        ("https://API.Example.test", ("https", "api.example.test", 443)),
        ("http://bücher.example.test", ("http", "xn--bcher-kva.example.test", 80)),
    ],
)
def test_the_api_origin_is_normalised_like_the_fetcher_sees_it(
    base: str, origin: tuple[str, str, int]
) -> None:
    with ImageSkillClient(base_url=base) as client:
        assert set(client.network_policy().allowed_origins) == {origin}


def test_in_process_has_no_network_origin_and_the_opt_in_is_carried() -> None:
    with ImageSkillClient(base_url="local") as client:
        assert set(client.network_policy().allowed_origins) == set()
        assert client.network_policy().allow_private is False
    with ImageSkillClient(base_url="local", allow_private_network=True) as client:
        assert client.network_policy().vet("http", "10.0.0.1", None).addresses == ("10.0.0.1",)
