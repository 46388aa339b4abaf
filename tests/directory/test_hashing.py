"""No request hashes or verifies a password while it holds a database transaction.

argon2id takes tens of milliseconds by design. Inside a transaction, on SQLite, that is time
the one write lock is held: a 1000-row import held it for a minute and starved every other
writer of the instance. Every hash and verification is recorded with whether a transaction was
open, across every write that sets a password, driven through the API and the web.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from hanse.access.roles import Role
from hanse.directory.models import User
from hanse.directory.passwords import OwaspArgon2PasswordHasher
from tests.conftest import PASSWORD
from tests.selling.conftest import customer_body


@pytest.fixture
def hashing(monkeypatch):
    seen: list[tuple[str, bool]] = []
    encode, verify = OwaspArgon2PasswordHasher.encode, OwaspArgon2PasswordHasher.verify

    def recorded_encode(self, password, salt):
        seen.append(("encode", connection.in_atomic_block))
        return encode(self, password, salt)

    def recorded_verify(self, password, encoded):
        seen.append(("verify", connection.in_atomic_block))
        return verify(self, password, encoded)

    monkeypatch.setattr(OwaspArgon2PasswordHasher, "encode", recorded_encode)
    monkeypatch.setattr(OwaspArgon2PasswordHasher, "verify", recorded_verify)
    return seen


@pytest.mark.django_db(transaction=True)
def test_no_password_is_hashed_inside_a_transaction(partner, make_user, api_for, offers, hashing):
    agent = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    api = api_for(agent)
    hashing.clear()
    customer = api.post_json("/v1/customers", customer_body(domain="hash.example")).json()
    users = f"/v1/customers/{customer['id']}/users"
    body = {"userPrincipalName": "anna@hash.example", "displayName": "Anna", "usageLocation": "DE"}
    anna = api.post_json(users, {**body, "passwordProfile": {"password": "Anna-Passwort-2026!"}}).json()
    reset = {"passwordProfile": {"password": "Anna-Neues-2026!", "forceChangePassword": True}}
    assert api.patch_json(f"{users}/{anna['id']}", reset).status_code == 200
    assert api.post_json(f"{users}/{anna['id']}/resetpassword", {}).status_code == 200
    csv = b"userPrincipalName,displayName\nrow1@hash.example,Row One\nrow2@hash.example,Row Two\n"
    imported = api.post(f"{users}/import", data=csv, content_type="text/csv").json()
    assert len(imported["created"]) == 2
    invite = {"userPrincipalName": f"neu@{partner.domain}", "displayName": "Neu", "roles": ["sales_agent"]}
    assert api.post_json("/v1/partner/users", invite).status_code == 201
    browser = Client()
    assert browser.post("/signin", {"username": agent.upn, "password": PASSWORD}).status_code == 302
    new = "a-much-better-passphrase-9"
    changed = browser.post("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert changed.status_code == 302 and User.objects.get(id=agent.id).check_password(new)
    encodes = [inside for kind, inside in hashing if kind == "encode"]
    assert len(encodes) >= 8  # admin, anna, her two resets, two rows, the invite, the change
    assert [entry for entry in hashing if entry[1]] == []
