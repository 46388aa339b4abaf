from __future__ import annotations

from typing import Any

import pytest

from hanse.access.roles import Role


def customer_body(domain: str = "neu-kunde.example", country: str = "DE", **over: Any) -> dict[str, Any]:
    body = {
        "companyProfile": {"domain": domain, "companyName": "Neu Kunde GmbH"},
        "billingProfile": {
            "firstName": "Erika",
            "lastName": "Mustermann",
            "email": "erika@neu-kunde.example",
            "culture": "de-DE",
            "language": "de",
            "companyName": "Neu Kunde GmbH",
            "defaultAddress": {
                "country": country,
                "city": "Berlin",
                "postalCode": "10115",
                "addressLine1": "Unter den Linden 1",
            },
        },
    }
    body.update(over)
    return body


@pytest.fixture
def seller(partner, make_user, api_for):
    """An Admin agent's API client for the default partner."""
    return api_for(make_user(partner.tenant, Role.ADMIN_AGENT))
