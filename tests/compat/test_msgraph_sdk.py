"""Microsoft's Graph SDK for Python (msgraph-sdk) against the admin center of a live ``hanse serve``.

Nothing here is Hanse's own client code: the SDK builds every URL and body and parses every answer,
as it would against graph.microsoft.com. Only its base URL and its token provider are set.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator
from kiota_abstractions.authentication.base_bearer_token_authentication_provider import (
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.user import User
from msgraph.generated.models.user_collection_response import UserCollectionResponse
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import (
    AssignLicensePostRequestBody,
)
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core.tasks.page_iterator import PageIterator

from tests.live import serving, token_for
from tests.test_process import free_port, hanse

pytestmark = pytest.mark.process


class StaticToken(AccessTokenProvider):
    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(self, uri: str, additional_authentication_context: Any = None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1"])


def graph(base_url: str, token: str) -> GraphServiceClient:
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token)))
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Any:
    data = tmp_path_factory.mktemp("graph")
    seeded = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(free_port()))
    assert seeded.returncode == 0, seeded.stderr
    config = data / "eu.toml"
    users = [u for u in json.loads((data / "demo-users.json").read_text()) if u["instance"] == "eu"]
    it_admin = next(u for u in users if "customer_global_admin" in u["roles"])  # its tenant's admin
    with serving(config) as base:
        yield _Live(base, config, users, it_admin)
    LOOP.close()


class _Live:
    def __init__(self, base: str, config: Path, users: list[dict], it_admin: dict) -> None:
        self.base, self.config, self.it_admin = base, config, it_admin
        self.root = f"{base}/admin-center/api/v1.0"
        self.customer_domain = it_admin["tenant"]
        # The customer's partner: the one whose /v1 customer list holds the IT admin's tenant.
        for admin in (u for u in users if u["kind"] == "partner" and "global_admin" in u["roles"]):
            token = token_for(config, admin["upn"])
            listed = httpx.get(
                f"{base}/v1/customers?size=500", headers={"Authorization": f"Bearer {token}"}, timeout=10
            ).json()["items"]
            mine = [c for c in listed if c["companyProfile"]["domain"] == self.customer_domain]
            if mine:
                self.partner_token, self.customer_id = token, mine[0]["id"]
                break
        else:
            raise AssertionError("no partner holds the demo's customer")

    def as_partner(self) -> GraphServiceClient:
        """The partner's admin, rooted at the customer (``…/customers/{id}``), as Graph's GDAP is."""
        return graph(f"{self.root}/customers/{self.customer_id}", self.partner_token)

    def as_customer_admin(self) -> GraphServiceClient:
        """The customer's own Global admin, rooted at the API: ``/users`` is its own tenant's."""
        return graph(self.root, token_for(self.config, self.it_admin["upn"]))


# One loop for the module: the SDK's HTTP client belongs to the loop it first ran on.
LOOP = asyncio.new_event_loop()


def run(coro: Any) -> Any:
    return LOOP.run_until_complete(coro)


def test_customer_id_is_its_tenant_id(live):
    token = {"Authorization": f"Bearer {live.partner_token}"}
    got = httpx.get(f"{live.base}/v1/customers/{live.customer_id}", headers=token, timeout=10).json()
    assert got["id"] == got["companyProfile"]["tenantId"] == live.customer_id


def test_list_with_filter_and_page_iterator_visits_every_user_once(live):
    client = live.as_partner()

    async def every(filter_: str | None, top: int) -> list[User]:
        params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=top, filter=filter_)
        first = await client.users.get(RequestConfiguration(query_parameters=params))
        seen: list[User] = []
        assert isinstance(first, UserCollectionResponse)
        iterator = PageIterator(first, client.request_adapter)  # follows @odata.nextLink

        def collect(user: User) -> bool:
            seen.append(user)
            return True

        await iterator.iterate(collect)
        return seen

    for name in ("Alex Wilber", "Allan Deyoung", "Megan Bowen"):
        upn = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@{live.customer_domain}"
        run(client.users.post(User(account_enabled=True, display_name=name, user_principal_name=upn)))
    everyone = run(every(None, 500))
    assert len(everyone) >= 3 and all(isinstance(u, User) and u.user_principal_name for u in everyone)
    paged = run(every(None, 1))
    assert [u.id for u in paged] == [u.id for u in everyone]  # one page each, none twice, none left
    initial = "A"
    filtered = run(every(f"startswith(displayName,'{initial}')", 1))
    assert len(filtered) >= 2 and {u.id for u in filtered} == {
        u.id for u in everyone if u.display_name[0] == initial
    }


def test_create_get_by_id_and_upn_update_and_licence(live):
    client = live.as_partner()
    upn = f"sdk-{uuid.uuid4().hex[:8]}@{live.customer_domain}"
    body = User(
        account_enabled=True,
        display_name="Adele Vance",
        mail_nickname="AdeleV",
        user_principal_name=upn,
        usage_location="DE",
        password_profile=PasswordProfile(
            force_change_password_next_sign_in=True, password="xWwvJ]6NMw+bWH-d-77"
        ),
    )
    created = run(client.users.post(body))
    assert isinstance(created, User) and created.user_principal_name == upn and created.id
    by_id = run(client.users.by_user_id(created.id).get())
    by_upn = run(client.users.by_user_id(upn).get())
    assert by_id.id == by_upn.id == created.id and by_upn.display_name == "Adele Vance"

    run(client.users.by_user_id(created.id).patch(User(display_name="Adele V.")))
    assert run(client.users.by_user_id(upn).get()).display_name == "Adele V."

    skus = run(client.subscribed_skus.get()).value
    free = next(s for s in skus if s.prepaid_units.enabled > s.consumed_units)
    assert isinstance(free.sku_id, uuid.UUID) and free.sku_part_number
    request = AssignLicensePostRequestBody(
        add_licenses=[AssignedLicense(sku_id=free.sku_id, disabled_plans=[])], remove_licenses=[]
    )
    licensed = run(client.users.by_user_id(created.id).assign_license.post(request))
    assert [a.sku_id for a in licensed.assigned_licenses] == [free.sku_id]
    again = run(client.users.by_user_id(upn).get())  # a licensed user parses too
    assert [a.sku_id for a in again.assigned_licenses] == [free.sku_id]
    after = {s.sku_id: s for s in run(client.subscribed_skus.get()).value}
    assert after[free.sku_id].consumed_units == free.consumed_units + 1


def test_delete_list_deleted_and_restore(live):
    client = live.as_partner()
    upn = f"gone-{uuid.uuid4().hex[:8]}@{live.customer_domain}"
    created = run(client.users.post(User(account_enabled=True, display_name="Gone", user_principal_name=upn)))
    run(client.users.by_user_id(created.id).delete())
    with pytest.raises(ODataError) as missing:
        run(client.users.by_user_id(created.id).get())
    assert missing.value.response_status_code == 404
    deleted = run(client.directory.deleted_items.graph_user.get()).value
    assert created.id in {u.id for u in deleted}
    restored = run(client.directory.deleted_items.by_directory_object_id(created.id).restore.post())
    assert isinstance(restored, User) and restored.id == created.id  # by its @odata.type
    assert run(client.users.by_user_id(upn).get()).id == created.id


def test_errors_parse_as_odata_error(live):
    client = live.as_partner()
    with pytest.raises(ODataError) as refused:
        run(
            client.users.post(
                User(account_enabled=True, display_name="X", user_principal_name="x@other.example")
            )
        )
    error = refused.value
    assert error.response_status_code == 400
    assert error.error.code == "Request_BadRequest" and error.error.message
    assert error.error.inner_error.request_id and error.error.inner_error.client_request_id
    with pytest.raises(ODataError) as unknown:
        run(client.users.by_user_id(str(uuid.uuid4())).get())
    assert unknown.value.response_status_code == 404
    assert unknown.value.error.code == "Request_ResourceNotFound"


def test_a_customer_admin_uses_tenant_rooted_paths(live):
    client = live.as_customer_admin()
    me = run(client.me.get())
    assert me.user_principal_name == live.it_admin["upn"]
    users = run(client.users.get()).value
    assert me.id in {u.id for u in users}
    assert all(u.user_principal_name.endswith("@" + live.customer_domain) for u in users)
    skus = run(client.subscribed_skus.get()).value
    assert skus and all(isinstance(s.sku_id, uuid.UUID) for s in skus)
    partner_view = {s.sku_id: s.consumed_units for s in run(live.as_partner().subscribed_skus.get()).value}
    assert {s.sku_id: s.consumed_units for s in skus} == partner_view
