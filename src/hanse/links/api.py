"""The tenant link of the caller's partner account (docs/links.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hanse.api.schemas import Attributes, ErrorBody
from hanse.links import selectors, services
from hanse.links.models import TenantLink

router = Router(tags=["Tenant link"])


class TenantLinkOut(Schema):
    peer: str
    targetTenantId: uuid.UUID
    targetDomain: str
    targetRegion: str
    targetAccountState: str
    linkedBy: str
    targetUser: str
    linkedAt: datetime
    customerCount: int
    attributes: Attributes

    @staticmethod
    def of(link: TenantLink, customers: int) -> TenantLinkOut:
        return TenantLinkOut(
            peer=link.peer,
            targetTenantId=link.target_tenant_id,
            targetDomain=link.target_domain,
            targetRegion=link.target_region,
            targetAccountState=link.target_account_state,
            linkedBy=link.linked_by.upn,
            targetUser=link.target_user,
            linkedAt=link.linked_at,
            customerCount=customers,
            attributes=Attributes(objectType="TenantLink"),
        )


@router.get(
    "/tenantlink",
    response={200: TenantLinkOut, 403: ErrorBody, 404: ErrorBody},
    summary="The link of your CSP account to its account in a European instance (Global admin)",
)
def get_link(request: HttpRequest) -> TenantLinkOut:
    link = selectors.tenant_link_get(request.principal)
    return TenantLinkOut.of(link, selectors.associated_customers(request.principal).count())


@router.delete(
    "/tenantlink",
    response={204: None, 403: ErrorBody, 404: ErrorBody},
    summary="Unlink, before any customer has started to move (Global admin)",
)
def delete_link(request: HttpRequest) -> Status[None]:
    services.tenant_link_remove(actor=request.principal)
    return Status(204, None)
