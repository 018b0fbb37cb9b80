"""The evidence packages' JSON Schemas (the per-underlying and the pooled one): a package
is published only if it matches.

The schema ships inside the package (`evidence_package.schema.json`, package data) and is
read through `importlib.resources`, so it is found from a wheel as well as from a checkout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from assets.validation.package.json_values import to_jsonable

SCHEMA_FILE = "evidence_package.schema.json"
POOLED_SCHEMA_FILE = "pooled_package.schema.json"


@lru_cache(maxsize=2)
def load_schema(name: str = SCHEMA_FILE) -> dict[str, Any]:
    schema = resources.files("assets.validation.package").joinpath(name)
    text = schema.read_text(encoding="utf-8")
    return json.loads(text)


def validate_package(package: Mapping[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` unless the package matches the schema."""
    from jsonschema import Draft202012Validator

    Draft202012Validator(load_schema()).validate(to_jsonable(package))


# Digests of package files this process wrote from a package it had just validated: the
# published file's check need not validate the same bytes again (a quarter of a second on a
# decade's package). A file any other process wrote, or one changed since, is validated.
_validated_files: set[str] = set()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def remember_validated_file(path: str | Path) -> None:
    """`path` holds the canonical dump of a package `validate_package` has passed."""
    _validated_files.add(_digest(Path(path).read_bytes()))


def validate_package_file(path: str | Path) -> None:
    """Raise unless the package file at `path` matches the schema."""
    data = Path(path).read_bytes()
    digest = _digest(data)
    if digest in _validated_files:
        return
    validate_package(json.loads(data))
    _validated_files.add(digest)


def validate_pooled_package(package: Mapping[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` unless the pooled package matches its schema."""
    from jsonschema import Draft202012Validator

    Draft202012Validator(load_schema(POOLED_SCHEMA_FILE)).validate(to_jsonable(package))
