"""The keys of imported records and the ids made from them (issue 12).

An import gives each row without an id a key - its source's (a phone form's submission id) or
one made from its cleaned content - and the record's id follows from the register, the kind and
the key, so the same row imported again adds nothing. Used by :mod:`register.records`.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from .model import fields_of


def content_key(kind: str, rec: Mapping[str, Any]) -> str:
    """A key made from a cleaned record's content: the same record read from another file, in
    another order or with other spelling of its codes gives the same key.

    The key hashes ``repr((kind, cells))``, ``cells`` being the record's non-blank
    ``(field, str(value))`` pairs sorted by field; a cleaned record holds only its kind's
    fields, so they are taken in the kind's sorted field order (no sort per row)."""
    order, names = _sorted_fields(kind)
    if rec.keys() <= names:
        get = rec.get
        cells = [(k, str(v)) for k in order if (v := get(k)) is not None]
    else:  # not a cleaned record
        cells = sorted((k, str(v)) for k, v in rec.items() if v is not None)
    return "content:" + hashlib.sha256(repr((kind, cells)).encode("utf-8", "surrogatepass")
                                       ).hexdigest()


@functools.cache
def _sorted_fields(kind: str) -> tuple[tuple[str, ...], frozenset[str]]:
    names = [spec.name for spec in fields_of(kind)]
    return tuple(sorted(names)), frozenset(names)


def key_id(register_id: str, kind: str, key: str, *, person: bool = False) -> str:
    """``str(uuid.uuid5(uuid.NAMESPACE_URL, seed))`` (RFC 4122 section 4.3: SHA-1 of the
    namespace and the name, version and variant bits set), without a UUID object per row."""
    seed = f"{register_id}#{kind}#{key}" + ("#person" if person else "")
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + seed.encode("utf-8")).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes
