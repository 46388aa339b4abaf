"""The pages of the gate, through Django's client: the operator files, the trustee decides, the
customer's admin sees the request and what was read, in the admin center."""

from __future__ import annotations

import re

from django.test import Client

from hanse.trustee.models import AccessRequest, State


def signed_in(user):
    c = Client()
    c.force_login(user)
    return c


def test_file_decide_read_and_see_it_on_the_pages(world, swap_instance):
    w = world
    swap_instance(mfa_required_roles=())
    op, officer, admin = signed_in(w.operator), signed_in(w.officer), signed_in(w.admin_a)
    assert op.get("/access/new").status_code == 200
    bad = op.post(
        "/access/new",
        {
            "customer": w.a.tenant.domain,
            "kinds": ["users"],
            "access": "read",
            "reason": "customer_support",
            "justification": "short",
            "hours": 2,
        },
    )
    assert bad.status_code == 400 and "10 to 2000" in bad.content.decode()
    assert AccessRequest.objects.count() == 0
    r = op.post(
        "/access/new",
        {
            "customer": w.a.tenant.domain,
            "kinds": ["users"],
            "access": "read",
            "reason": "customer_support",
            "justification": "Ticket 4711, sign-in fails.",
            "case_ref": "CASE-4711",
            "hours": 2,
        },
    )
    assert r.status_code == 302, r.content
    req = AccessRequest.objects.get()
    assert r["Location"] == f"/access/{req.id}/"
    listed = officer.get("/access/").content.decode()
    assert "Alpha GmbH" in listed and 'data-testid="requests-pending"' in listed
    page = officer.get(f"/access/{req.id}/").content.decode()
    assert 'data-testid="approve"' in page
    assert officer.post(f"/access/{req.id}/approve", {"note": "ok"}).status_code == 302
    assert AccessRequest.objects.get().state == State.APPROVED
    # The operator reads the customer's users in the partner center's pages.
    users = op.get(f"/customers/{w.a.id}/users/")
    assert users.status_code == 200 and w.admin_a.upn in users.content.decode()
    # The customer's admin sees the request and each user read, in the admin center.
    mine = admin.get("/access/").content.decode()
    assert "admincenter" in mine and str(req.id) in mine
    detail = admin.get(f"/access/{req.id}/").content.decode()
    read = set(re.findall(r'data-testid="accessed-object">User ([0-9a-f-]{36})<', detail))
    assert str(w.admin_a.id) in read
    assert 'data-testid="revoke"' not in detail  # the trustee's policy: the customer does not revoke
    assert officer.post(f"/access/{req.id}/revoke", {"note": "done"}).status_code == 302
    assert op.get(f"/customers/{w.a.id}/users/").status_code == 403
    assert signed_in(w.admin_b).get(f"/access/{req.id}/").status_code == 404
    # The trustee's audit viewer holds the whole story, filterable by action.
    # The trustee reads which customer each act was about, from the request it decided.
    audit = officer.get("/audit/", {"action": "access.revoke"})
    assert audit.status_code == 200
    assert [e.text for e in audit.context["entries"]] == [
        f"Test User revoked the access of {w.operator.upn} to the data of Alpha GmbH"
    ]
    reads = officer.get("/audit/", {"action": "access.read"}).context["entries"]
    assert reads and all(e.text.endswith("of Alpha GmbH under a granted access") for e in reads)
