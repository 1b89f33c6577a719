"""`models --summary` values the key-order tests do not pin down (contract §10.7)."""

from __future__ import annotations

from image_skill.cli.summary import summary_row


def test_availability_reason_is_copied_from_the_row() -> None:
    row = summary_row({"id": "fal.x", "availability_reason": "provider_key_missing"})
    assert row["availability_reason"] == "provider_key_missing"
    assert summary_row({"id": "fal.x"})["availability_reason"] is None


def test_execution_fields_are_copied_from_the_row() -> None:
    model = {
        "id": "fal.x",
        "execution": {
            "artifact_storage": "image_skill_owned",
            "model_execution_status": "executable",
        },
    }
    row = summary_row(model)
    assert row["artifact_storage"] == "image_skill_owned"
    assert row["model_execution_status"] == "executable"
