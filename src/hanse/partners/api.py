"""``/v1/profiles/partner``: the caller's own CSP account."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hanse.api.schemas import Attributes, Body, ErrorBody
from hanse.partners import agreement, services
from hanse.partners.models import PartnerAccount
from hanse.partners.selectors import current_signature, partner_get, partners_for_operator
from hanse.validators import EMAIL_PATTERN, NO_NUL, TWO_NOT_BLANK

router = Router(tags=["Partner profile"])


class PartnerProfileOut(Schema):
    id: UUID
    tenantId: UUID
    companyName: str
    domain: str
    region: str
    country: str
    state: str
    createdAt: datetime
    activatedAt: datetime | None = None
    suspensionReason: str | None = None  # why the operator suspended it, while it is suspended
    attributes: Attributes

    @staticmethod
    def of(a: PartnerAccount) -> PartnerProfileOut:
        return PartnerProfileOut(
            id=a.id,
            tenantId=a.tenant_id,
            companyName=a.company_name,
            domain=a.tenant.domain,
            region=a.region,
            country=a.country,
            state=a.state,
            createdAt=a.created_at,
            activatedAt=a.activated_at,
            suspensionReason=a.suspension_reason or None,
            attributes=Attributes(objectType="PartnerProfile"),
        )


@router.get(
    "/profiles/partner",
    response={200: PartnerProfileOut, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    summary="Get the caller's partner profile",
)
def get_partner_profile(request: HttpRequest) -> PartnerProfileOut:
    return PartnerProfileOut.of(partner_get(principal=request.principal))  # type: ignore[attr-defined]


class AgreementOut(Schema):
    version: str
    text: str
    signed: bool
    signedBy: str | None = None
    signedAt: datetime | None = None
    attributes: Attributes


class SignatureIn(Body):
    # Two characters that are not white space, at least: the service's rule on the stripped name.
    name: str = Field(..., min_length=2, max_length=200, pattern=TWO_NOT_BLANK)
    email: str = Field(..., max_length=254, pattern=EMAIL_PATTERN)


def _agreement_out(request: HttpRequest) -> AgreementOut:
    sig = current_signature(principal=request.principal)  # type: ignore[attr-defined]
    return AgreementOut(
        version=agreement.VERSION,
        text=agreement.text(),
        signed=sig is not None,
        signedBy=sig.signer_name if sig else None,
        signedAt=sig.signed_at if sig else None,
        attributes=Attributes(objectType="PartnerAgreement"),
    )


@router.get(
    "/agreement",
    response={200: AgreementOut, 404: ErrorBody},
    summary="The current partner agreement and whether your organisation signed it",
)
def get_agreement(request: HttpRequest) -> AgreementOut:
    return _agreement_out(request)


@router.post(
    "/agreement/signatures",
    response={201: AgreementOut, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody},
    summary="Sign the current partner agreement (Global admin)",
)
def sign_agreement(request: HttpRequest, body: SignatureIn) -> Status[AgreementOut]:
    services.agreement_sign(actor=request.principal, name=body.name, email=body.email)  # type: ignore[attr-defined]
    return Status(201, _agreement_out(request))


class PartnerStateIn(Body):
    state: Literal["active", "suspended"]
    # Required to suspend (10 to 1000 characters); the partner reads it.
    reason: str = Field("", max_length=1000, pattern=NO_NUL)


@router.get(
    "/partners",
    response={200: list[PartnerProfileOut], 403: ErrorBody},
    summary="All CSP accounts of this instance (operators)",
)
def list_partners(request: HttpRequest) -> list[PartnerProfileOut]:
    return [PartnerProfileOut.of(a) for a in partners_for_operator(principal=request.principal)]  # type: ignore[attr-defined]


@router.patch(
    "/partners/{partner_id}",
    response={200: PartnerProfileOut, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody},
    summary="Activate, suspend or reactivate a CSP account (operators)",
)
def set_partner_state(request: HttpRequest, partner_id: UUID, body: PartnerStateIn) -> PartnerProfileOut:
    account = services.partner_set_state(
        actor=request.principal,  # type: ignore[attr-defined]
        account_id=partner_id,
        state=body.state,
        reason=body.reason,
    )
    return PartnerProfileOut.of(account)
