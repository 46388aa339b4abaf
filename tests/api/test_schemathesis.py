"""Property-based tests over every operation of both APIs (/v1 and the admin center's Graph-shaped
one), generated from their OpenAPI schemas."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, reject
from hypothesis import settings as hypothesis_settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from hanse.access.roles import Role
from hanse.directory.services import token_issue
from hanse.wsgi import application
from tests.conftest import SYSTEM

# Examples per operation; raise it for a longer search: HANSE_FUZZ_EXAMPLES=400 ./run test tests/api
EXAMPLES = int(os.environ.get("HANSE_FUZZ_EXAMPLES", "30"))

schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", application)
admincenter_schema = schemathesis.openapi.from_wsgi("/admin-center/api/v1.0/openapi.json", application)


def _expect(api_schema) -> None:
    """Statuses the checks should count as what they are (the checks' lists are shared)."""
    checks = api_schema.config.checks
    # A URL over the documented 8190 bytes is refused with 414 before its parameters are read:
    # a refusal, like schemathesis's default 4xx list.
    if "414" not in checks.negative_data_rejection.expected_statuses:
        checks.negative_data_rejection.expected_statuses.append("414")
    # A body over the API's 2 MiB is refused with 413 before it is parsed (the peers' import
    # operations document it: their arrays may hold more than fits).
    if "413" not in checks.negative_data_rejection.expected_statuses:
        checks.negative_data_rejection.expected_statuses.append("413")
    # A well-formed If-Match that names another version fails on the resource's state, as a 409
    # does (which the check already expects): 412 says so for preconditions.
    if "412" not in checks.positive_data_acceptance.expected_statuses:
        checks.positive_data_acceptance.expected_statuses.append("412")


for each in (schema, admincenter_schema):
    _expect(each)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: a finished request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(partner, make_user):
    user = make_user(partner.tenant, Role.GLOBAL_ADMIN)
    return token_issue(actor=SYSTEM, user=user, ttl_seconds=3600).token


def _repeats_a_line_number(body) -> bool:
    """Two order lines with one lineItemNumber: uniqueness across items, which JSON Schema
    cannot say, so the generator may send it; the API rightly refuses it (400, code 7009)."""
    lines = body.get("lineItems") if isinstance(body.get("lineItems"), list) else []
    numbers = [line.get("lineItemNumber") for line in lines if isinstance(line, dict)]
    numbers = [n for n in numbers if n is not None]
    return len(numbers) != len(set(numbers))


def _excluded(case):
    excluded = []
    body = case.body if isinstance(case.body, dict) else {}
    if (
        (case.headers and "MS-ContinuationToken" in case.headers)
        or (case.query and {"filter", "$filter", "$skiptoken"} & set(case.query))
        or "userPrincipalName" in body
        or body.get("referenceCustomerId") is not None
        or case.media_type == "text/csv"
        or _repeats_a_line_number(body)
    ):
        # A continuation token is opaque and signed, a filter is JSON or OData inside a string, a user
        # name must end with the tenant's own domain, an order's referenceCustomerId must be
        # the customer of its path, and a CSV import must name its columns in its header:
        # generated ones are rightly refused (400), which this check would count as rejecting
        # valid input. Every other check still applies.
        excluded.append(positive_data_acceptance)
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header and header.mode == GenerationMode.NEGATIVE and "Authorization" not in (case.headers or {}):
        # The negative header is the missing Authorization, which the call below supplies: the
        # request that goes out is not the negative one the check would expect refused.
        excluded.append(negative_data_rejection)
    return excluded


def _check(case, bearer):
    case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, excluded_checks=_excluded(case))


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation(case, bearer):
    _check(case, bearer)


@admincenter_schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_admincenter_operation(case, bearer):
    _check(case, bearer)


# The stateful phase's own schemas, whose requests carry the test's token through an auth
# provider: schemathesis then knows the credential is real, and checks that calls without it fail.
_BEARER: dict[str, str] = {}
workflow_schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", application)
admincenter_workflow_schema = schemathesis.openapi.from_wsgi(
    "/admin-center/api/v1.0/openapi.json", application
)


class _TestToken:
    def get(self, case, ctx):
        return _BEARER["token"]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


for each in (workflow_schema, admincenter_workflow_schema):
    _expect(each)
    each.auth(refresh_interval=None)(_TestToken)


def _run_workflows(api_schema, bearer):
    """Schemathesis's stateful phase: sequences of calls that feed one response into the next
    request (a customer created, then read, its users created, changed, deleted, restored…), by
    the links schemathesis infers from the schema. Same budget and same checks as above."""
    _BEARER["token"] = bearer

    class Workflows(api_schema.as_state_machine()):
        def before_call(self, case):
            # A link from a field that was null (an audit record's customerId for a partner-level
            # act) yields no id: "/customers/None/…" is no request a client would send.
            if any(value is None for value in (case.path_parameters or {}).values()):
                reject()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=_excluded(case), transport_kwargs=kwargs)

    Workflows.run(
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            stateful_step_count=8,
        )
    )


def test_v1_workflows(bearer):
    _run_workflows(workflow_schema, bearer)


def test_admincenter_workflows(bearer):
    _run_workflows(admincenter_workflow_schema, bearer)
