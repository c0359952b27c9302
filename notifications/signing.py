"""Signatures of outbound POSTs (webhooks and completion callbacks).

A receiver verifies a delivery like this (Python)::

    signed = timestamp_header.encode() + b"." + raw_body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, signature_header)
    fresh = abs(time.time() - int(timestamp_header)) < 300

Headers: ``X-Inbox-Signature`` (``sha256=<hex>``), ``X-Inbox-Timestamp`` (Unix seconds),
``X-Inbox-Delivery`` (the delivery id, the same on every retry: use it to drop duplicates),
``X-Inbox-Event`` (the event kind).
"""

import hashlib
import hmac


def signature(secret: str, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
