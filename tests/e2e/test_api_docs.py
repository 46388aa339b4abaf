"""The API documentation pages render in Chromium: Swagger UI parses the document (no "Parser
error") and lists the operations, with no console error."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/v1/docs", "/v1/customers"),
        ("/admin-center/api/v1.0/docs", "/admin-center/api/v1.0/customers/{customer_id}/users"),
    ],
)
def test_the_api_docs_render_every_operation(page: Page, live_server: Any, path: str, operation: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path)
    expect(page.locator(".swagger-ui .information-container")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 10
    expect(page.locator(f'.opblock-summary-path[data-path="{operation}"]').first).to_be_visible()
    expect(page.locator(".swagger-ui")).not_to_contain_text("Parser error")
    assert errors == []
