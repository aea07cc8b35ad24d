"""Signed manifests: a JSON list of files with their SHA-256, signed as
detached CMS so any pyHanko or OpenSSL installation can verify it offline."""

import asyncio
import hashlib
import json

from asn1crypto import cms
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from .signing import _trust_roots, load_signer

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.p7s"


def manifest_bytes(entries, **metadata):
    """Return the canonical manifest for ``entries`` ({name: (sha256, size)})."""
    files = [
        {"name": name, "sha256": digest, "size": size}
        for name, (digest, size) in sorted(entries.items())
    ]
    document = {**metadata, "files": files}
    return json.dumps(document, indent=2, sort_keys=True).encode()


def sign_detached(data):
    """Return a DER-encoded detached CMS signature of ``data``."""
    signer = load_signer()
    content_info = asyncio.run(
        signer.async_sign_general_data(data, "sha256", detached=True)
    )
    return content_info.dump()


def verify_detached(data, signature_der, trusted_pem=None):
    """Return None when ``signature_der`` is a valid, trusted signature of
    ``data``, otherwise a sentence saying what is wrong."""
    try:
        content_info = cms.ContentInfo.load(signature_der)
        signed_data = content_info["content"]
        context = ValidationContext(trust_roots=_trust_roots(trusted_pem), allow_fetching=False)
        status = asyncio.run(
            async_validate_detached_cms(data, signed_data, signer_validation_context=context)
        )
    except Exception as exc:  # noqa: BLE001 - any failure to validate is invalid
        return f"the manifest signature cannot be validated ({type(exc).__name__})"
    if not (status.intact and status.valid):
        return "the manifest was changed after signing"
    if not status.trusted:
        return "the manifest was not signed with a trusted certificate"
    return None


def sha256_of(fileobj, chunk_size=1024 * 1024):
    """Return (hex digest, size) of a binary file object, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := fileobj.read(chunk_size):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
