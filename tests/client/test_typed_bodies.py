"""The client's endpoint methods take the typed requests of ``image_skill.api.requests`` as
well as plain dicts, and send the same JSON either way (checked on the local backend)."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_skill import ImageSkillClient
from image_skill.api.endpoints import json_of
from image_skill.api.requests import CreateRequest, FeedbackRequest, SignupRequest


def test_json_of_takes_a_typed_request_or_copies_a_mapping() -> None:
    typed = CreateRequest(prompt="p", dry_run=True)
    assert json_of(typed) == typed.to_body()
    plain = {"prompt": "p"}
    copied = json_of(plain)
    assert copied == plain and copied is not plain


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ImageSkillClient:
    monkeypatch.setenv("IMAGE_SKILL_LOCAL_DIR", str(tmp_path / "local"))
    anonymous = ImageSkillClient.local()
    signup = SignupRequest(agent_name="typed", runtime="pytest")
    signed = anonymous.signup(signup)
    assert signed.ok, signed.error
    return ImageSkillClient.local(token=signed.data["token"])


def test_a_typed_create_and_its_dict_plan_the_same_job(client: ImageSkillClient) -> None:
    typed = CreateRequest(prompt="a red cube", aspect_ratio="1:1", dry_run=True)
    by_model = client.create(typed)
    by_dict = client.create(typed.to_body())
    assert by_model.ok and by_dict.ok, (by_model.error, by_dict.error)
    for key in ("dry_run", "model", "estimated_credits"):
        if key in by_dict.data:
            assert by_model.data[key] == by_dict.data[key]
    assert by_model.data.keys() == by_dict.data.keys()


def test_a_typed_live_create_is_debited_once_per_key(client: ImageSkillClient) -> None:
    before = client.quota().data["limits"]["remaining_credits"]
    request = CreateRequest(prompt="a red cube", aspect_ratio="1:1", idempotency_key="typed-1")
    first, again = client.create(request), client.create(request)
    assert first.ok and again.ok, (first.error, again.error)
    assert first.data["job_id"] == again.data["job_id"]
    after = client.quota().data["limits"]["remaining_credits"]
    assert before - after == 9  # local.image, one output, charged once


def test_a_typed_feedback_is_accepted(client: ImageSkillClient) -> None:
    sent = client.feedback(FeedbackRequest(title="typed", body="sent as a model", severity="low"))
    assert sent.ok, sent.error
