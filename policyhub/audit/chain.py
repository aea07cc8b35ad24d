"""Hash chain of the audit trail: canonical content, hashing and verification."""

import hashlib
import json
from dataclasses import dataclass

GENESIS_HASH = "0" * 64
CHAIN_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "ip_address",
    "request_id",
    "detail",
)


def canonical_content(event):
    """Return the bytes hashed for ``event``: its fields as sorted, compact JSON."""
    values = {name: getattr(event, name) for name in CHAIN_FIELDS}
    values["occurred_at"] = event.occurred_at.isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event):
    digest = hashlib.sha256()
    digest.update(event.previous_hash.encode())
    digest.update(canonical_content(event))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self):
        return self.broken_at is None


def verify_chain(events, expected_previous=GENESIS_HASH):
    """Walk ``events`` in id order; return where the chain first breaks."""
    checked = 0
    for event in events:
        if event.previous_hash != expected_previous:
            return ChainReport(
                checked,
                event.pk,
                f"event {event.pk} links to {event.previous_hash[:12]}…, but the event "
                f"before it hashes to {expected_previous[:12]}… (a row was deleted or "
                "inserted before it)",
            )
        actual = compute_hash(event)
        if actual != event.event_hash:
            return ChainReport(
                checked,
                event.pk,
                f"event {event.pk}'s content no longer matches its hash (the row was changed)",
            )
        expected_previous = event.event_hash
        checked += 1
    return ChainReport(checked)
