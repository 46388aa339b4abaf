"""Both OpenAPI documents are valid OpenAPI 3.1, checked by openapi-spec-validator, with one key
per response code: Swagger UI refused "duplicated mapping key" when "401" came twice."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.conftest import ApiClient


@pytest.mark.parametrize("path", ["/v1/openapi.json", "/admin-center/api/v1.0/openapi.json"])
def test_the_openapi_document_is_valid_openapi_3_1(db: None, path: str) -> None:
    response = ApiClient().get(path)
    assert response.status_code == 200
    pairs: list[list[tuple[str, object]]] = []
    document = json.loads(response.content, object_pairs_hook=lambda kv: pairs.append(kv) or dict(kv))
    repeated = [k for kv in pairs for k, n in Counter(k for k, _ in kv).items() if n > 1]
    assert repeated == []  # no object in the document names a key twice
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_refuses_a_broken_document() -> None:
    with pytest.raises(OpenAPIValidationError):
        validate({"openapi": "3.1.0", "info": {"title": "x"}, "paths": {"/a": {"get": {"responses": 5}}}})
