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
    """Return the bytes hashed for ``event``: its fields as sorted, compact JSON.

    From chain version 2 on, the ``ip_address`` entry is the address's keyed
    digest, never the address, so the encrypted address can be re-encrypted
    or erased without changing the hash. Version 1 events hash the address.
    """
    values = {name: getattr(event, name) for name in CHAIN_FIELDS}
    if getattr(event, "chain_version", 1) >= 2:
        values["ip_address"] = event.ip_address_digest or None
    values["occurred_at"] = event.occurred_at.isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event):
    digest = hashlib.sha256()
    digest.update(event.previous_hash.encode())
    digest.update(canonical_content(event))
    return digest.hexdigest()


def _address_matches_digest(event):
    """Return whether a version 2 event's address still matches its digest.

    The chain covers only the digest, so this check ties the encrypted address
    to the chain. An erased address (anonymisation) has nothing to compare.
    """
    if getattr(event, "chain_version", 1) < 2 or not event.ip_address:
        return True
    from ..privacy.keys import keyed_hash

    return keyed_hash(event.ip_address) == event.ip_address_digest


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
        if actual != event.event_hash or not _address_matches_digest(event):
            return ChainReport(
                checked,
                event.pk,
                f"event {event.pk}'s content no longer matches its hash (the row was changed)",
            )
        expected_previous = event.event_hash
        checked += 1
    return ChainReport(checked)
