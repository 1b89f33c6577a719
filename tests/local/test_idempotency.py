"""Idempotency records: claim, replay, conflict."""

from __future__ import annotations

import pytest

from image_skill.local.billing import idempotency as idem
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store, transaction


def test_claim_replay_and_conflict(local_settings: LocalSettings) -> None:
    store = Store(local_settings)
    ids = {"actor_id": "agt_1", "endpoint": "/v1/create", "key": "k1"}
    terms = idem.request_hash({"prompt_sha256": "abc", "model": "local.image"})
    assert terms == idem.request_hash({"model": "local.image", "prompt_sha256": "abc"})
    with store.connection() as conn:
        with transaction(conn):
            assert idem.begin(conn, organization_id="org_1", payload_hash=terms, **ids) is None
            idem.complete(
                conn,
                actor_id="agt_1",
                endpoint="/v1/create",
                key="k1",
                response={"job_id": "job_1"},
                resource_id="job_1",
            )
        replay = idem.begin(conn, organization_id="org_1", payload_hash=terms, **ids)
        assert replay is not None
        assert (replay.state, replay.resource_id, replay.response) == (
            "completed",
            "job_1",
            {"job_id": "job_1"},
        )
        with pytest.raises(idem.IdempotencyConflict):
            idem.begin(conn, organization_id="org_1", payload_hash="different", **ids)
        # Same key, other actor: independent.
        other = {**ids, "actor_id": "agt_2"}
        assert idem.begin(conn, organization_id="org_2", payload_hash="x", **other) is None
