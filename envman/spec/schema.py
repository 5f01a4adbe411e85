"""The JSON Schema of environment files as written (`envman schema`), for editors and
`check-jsonschema`.

A file is one layer of an `extends` chain: an overlay may leave a cluster's `region` or an
app's `chart` to its base, so the maps that layers merge require nothing; gates and waves
are lists (a layer replaces them whole), so their entries keep their required keys.
"""

from __future__ import annotations

from typing import Any

from envman.spec.models import EnvironmentSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_MERGED = ("App", "Cluster", "Override", "Repository")


def json_schema() -> dict[str, Any]:
    document = EnvironmentSpec.model_json_schema(by_alias=True)
    for name in _MERGED:
        document["$defs"][name].pop("required", None)
    return {"$schema": SCHEMA_DIALECT, **document, "title": "envman environment"}
