"""Flow 2 of the source document through this instance's pages, with a live provider as the peer
(this very instance, served by live_server over HTTP): Next, sign in at the peer, the callback's
checks, each of the three failures and a corrected retry, a tampered or replayed callback, the
confirmation, the success page and its two buttons, unlinking."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory.oauth_clients import oauth_client_add
from hanse.instance.config import Peer, Region
from hanse.links.models import TenantLink
from hanse.partners.models import PartnerAccount
from tests.conftest import PASSWORD, SYSTEM
from tests.directory.test_oauth import inputs

CALLBACK = "http://testserver/csp/link/callback"


@dataclasses.dataclass
class Setup:
    source: Client  # the sovereign partner's Global admin, signed in here
    target_admin: Any
    target: Any  # the partner tenant at the peer


@pytest.fixture
def setup(
    live_server, partner, admin, make_partner, make_user, make_customer, swap_instance, monkeypatch
) -> Setup:
    from django.conf import settings

    make_customer(partner, name="Kunde Eins GmbH")
    registered = oauth_client_add(actor=SYSTEM, name="de", redirect_uris=[CALLBACK])
    monkeypatch.setenv("EU_SECRET", registered.client_secret)
    eu = Peer(
        id="eu",
        url=live_server.url,
        client_id=registered.application.client_id,
        client_secret_env="EU_SECRET",
    )
    outside = Region(id="us-east", name="Virginia", country="US", european=False, geography="americas")
    current = settings.HANSE_INSTANCE
    swap_instance(
        accepts_new_customers=False,
        peers=(eu,),
        mfa_required_roles=(),
        regions=(*current.regions, outside),
        data_boundary=(*current.data_boundary, "US"),
    )
    target = make_partner(domain="fabrikam-eu.example")
    source = Client()
    source.force_login(admin)
    return Setup(source=source, target_admin=make_user(target.tenant, Role.GLOBAL_ADMIN), target=target)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def next_(s: Setup) -> str:
    """Next: the redirect to the peer's sign-in."""
    r = s.source.post("/csp/link/start")
    assert r.status_code == 302, r.content
    assert (
        r["Location"].startswith(f"{s_url(s)}/oauth/authorize/?")
        and "code_challenge_method=S256" in r["Location"]
    )
    return r["Location"]


def s_url(s: Setup) -> str:
    from django.conf import settings

    return settings.HANSE_INSTANCE.peers[0].url


def sign_in_at_peer(url: str, user: Any) -> str:
    """The user's browser at the peer: its sign-in page (prompt=login), then back with a code."""
    browser = Client()
    r = browser.get(_path(url))
    assert r.status_code == 302 and r["Location"].startswith("/signin?next="), r
    form = inputs(browser.get(r["Location"])).fields
    r = browser.post("/signin", {**form, "username": user.upn, "password": PASSWORD})
    assert r.status_code == 302, r.content
    r = browser.get(r["Location"])
    assert r.status_code == 302 and r["Location"].startswith(CALLBACK), r
    return r["Location"]


def failure(r: Any) -> str:
    assert r.status_code == 400, r.content
    body = r.content.decode()
    assert 'data-testid="try-again"' in body
    return body.split('data-code="')[1].split('"')[0]


def test_flow_2_to_the_success_page(setup):
    s = setup
    overview = s.source.get("/csp/").content.decode()
    assert 'data-testid="link-next"' in overview and 'data-testid="link-new-account"' in overview
    back = sign_in_at_peer(next_(s), s.target_admin)
    r = s.source.get(_path(back))
    assert r.status_code == 302 and r["Location"] == "/csp/link/confirm"
    page = s.source.get("/csp/link/confirm").content.decode()
    assert "fabrikam-eu.example" in page and "Kunde Eins GmbH" in page and "eu-west" in page
    assert not TenantLink.objects.exists()  # nothing is stored before Confirm
    r = s.source.post("/csp/link/confirm")
    assert r.status_code == 302 and r["Location"] == "/csp/link/done"
    done = s.source.get("/csp/link/done").content.decode()
    assert 'data-testid="view-details"' in done and 'data-testid="view-dashboard"' in done
    details = s.source.get("/csp/link/").content.decode()
    assert "fabrikam-eu.example" in details and s.target_admin.upn in details
    assert "Kunde Eins GmbH" in s.source.get("/csp/link/customers").content.decode()
    link = TenantLink.objects.get()
    assert str(link.target_tenant_id) == str(s.target.tenant.id) and link.target_account_state == "active"
    assert AuditRecord.objects.filter(action="tenant_link.create").count() == 1
    assert 'data-testid="link-choices"' not in s.source.get("/csp/").content.decode()
    # The same callback again (a replay) is refused: the sign-in it belonged to is used up.
    assert failure(s.source.get(_path(back))) == "9504"
    # Unlink, audited; the choice is offered again.
    assert s.source.post("/csp/link/unlink").status_code == 302
    assert (
        not TenantLink.objects.exists() and AuditRecord.objects.filter(action="tenant_link.remove").exists()
    )
    assert 'data-testid="link-choices"' in s.source.get("/csp/").content.decode()


@pytest.mark.parametrize("condition", ["global_admin", "european", "active"])
def test_each_failure_then_a_corrected_retry(setup, make_partner, make_user, condition):
    s = setup
    if condition == "global_admin":
        wrong = make_user(s.target.tenant, Role.ADMIN_AGENT)  # (a) not a Global admin there
        code = "9510"
    elif condition == "european":
        other = make_partner(region="us-east")  # (b) a tenant outside Europe
        wrong, code = make_user(other.tenant, Role.GLOBAL_ADMIN), "9511"
    else:
        other = make_partner(state=PartnerAccount.State.PENDING)  # (c) not active
        wrong, code = make_user(other.tenant, Role.GLOBAL_ADMIN), "9512"
    r = s.source.get(_path(sign_in_at_peer(next_(s), wrong)))
    assert failure(r) == code
    assert 'data-testid="fix"' in r.content.decode() and not TenantLink.objects.exists()
    # Try again, signing in as the right one this time.
    retry = s.source.post("/csp/link/start")
    assert retry.status_code == 302
    r = s.source.get(_path(sign_in_at_peer(retry["Location"], s.target_admin)))
    assert r["Location"] == "/csp/link/confirm"
    assert s.source.post("/csp/link/confirm").status_code == 302
    assert TenantLink.objects.get().target_domain == "fabrikam-eu.example"


def test_a_tampered_state_and_a_provider_error_are_refused(setup):
    s = setup
    back = sign_in_at_peer(next_(s), s.target_admin)
    tampered = back.replace("state=", "state=x")
    assert failure(s.source.get(_path(tampered))) == "9504"
    # The pending sign-in is used up by any answer: the genuine one now fails too.
    assert failure(s.source.get(_path(back))) == "9504"
    url = next_(s)
    state = dict(p.split("=", 1) for p in urlsplit(url).query.split("&"))["state"]
    r = s.source.get(
        f"/csp/link/callback?error=access_denied&error_description=The+user+cancelled&state={state}"
    )
    assert failure(r) == "9505" and "The user cancelled" in r.content.decode()
    assert not TenantLink.objects.exists()


def test_only_the_global_admin_is_offered_the_choice(setup, partner, make_user):
    agent = Client()
    agent.force_login(make_user(partner.tenant, Role.ADMIN_AGENT))
    page = agent.get("/csp/").content.decode()
    assert 'data-testid="link-state"' in page and 'data-testid="link-choices"' not in page
    assert agent.post("/csp/link/start").status_code == 403
    assert not TenantLink.objects.exists()


def test_flow_3_create_a_new_account_at_the_peer_and_come_back(setup, swap_instance):
    s = setup
    r = s.source.get("/csp/link/new-account")
    assert r.status_code == 302
    enrol = r["Location"]
    assert enrol == f"{s_url(s)}/enrol?return=http%3A%2F%2Ftestserver%2Fcsp%2F"
    # One process plays both instances here: from now on it is the peer, open to new partners.
    swap_instance(accepts_new_customers=True)
    peer = Client()  # the user's browser at the peer, not signed in
    page = peer.get(_path(enrol))
    assert page.status_code == 200
    form = inputs(page).fields
    r = peer.post(
        "/enrol",
        {
            **form,
            "company_name": "Contoso Europe B.V.",
            "domain": "contoso-eu.example",
            "region": "eu-west",
            "country": "NL",
            "admin_name": "Clara Admin",
            "admin_local_part": "clara",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert r.status_code == 302, r.content
    overview = peer.get("/csp/").content.decode()
    # Pending: the way back is offered, with what to do first.
    assert 'data-testid="link-return-url"' in overview and 'href="http://testserver/csp/"' in overview
    assert "Once this CSP account is active" in overview
    account = PartnerAccount.objects.get(tenant__domain="contoso-eu.example")
    PartnerAccount.objects.filter(pk=account.pk).update(state=PartnerAccount.State.ACTIVE)
    assert "This CSP account is active" in peer.get("/csp/").content.decode()


def test_the_return_address_is_no_open_redirect(setup, swap_instance):
    swap_instance(accepts_new_customers=True)
    browser = Client()
    browser.get("/enrol?return=https://evil.example/steal")
    assert "hanse_link_return" not in browser.cookies
    browser.get("/enrol?return=http://testserver/csp/")
    assert "hanse_link_return" in browser.cookies
    # A cookie forged or kept from before is no way out either: it is signed, and checked again.
    browser.cookies["hanse_link_return"] = "https://evil.example/steal"
    assert "evil.example" not in browser.get("/enrol").content.decode()
