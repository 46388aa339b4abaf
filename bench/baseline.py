"""The baseline the API is measured against: a bare WSGI app, served by gunicorn with the same
settings as ``hanse serve``, that answers the same requests with the same JSON, each from one SQL
statement on a connection kept open, with no framework, no authentication and no checks.

    python -m bench.baseline --database-url URL --partner ID --port 8100 [--workers 2 --threads 4]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

CUSTOMERS = """
SELECT c.id, c.tenant_id, t.domain, c.company_name, c.relationship, c.created_at, c.version,
       c.first_name, c.last_name, c.email, c.culture, c.language, c.billing_company_name,
       c.country, c.address_region, c.city, c.address_state, c.address_line1, c.address_line2,
       c.address_line3, c.postal_code, c.phone_number,
       (SELECT COUNT(*) FROM customers_customer WHERE partner_id = {p}) AS total
FROM customers_customer c JOIN directory_tenant t ON t.id = c.tenant_id
WHERE c.partner_id = {p} ORDER BY c.created_at, c.id LIMIT {n}
"""
SUBSCRIPTIONS = """
SELECT s.id, s.offer_id, o.name, s.friendly_name, s.quantity, s.status, s.auto_renew, s.is_trial,
       s.billing_cycle, s.term, s.unit_price, s.currency, s.created_at, s.order_id, s.version
FROM commerce_subscription s JOIN catalog_offer o ON o.id = s.offer_id
WHERE s.customer_id = {p} AND s.partner_id = {p2} ORDER BY s.created_at, s.id
"""
SUBSCRIPTIONS_PATH = re.compile(r"^/v1/customers/([0-9a-f-]{36})/subscriptions$")


def _uuid(value: Any) -> str:
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def _when(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()
        self.sqlite = url.startswith("sqlite:")
        self.mark = "?" if self.sqlite else "%s"

    def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.sqlite:
                conn = sqlite3.connect(self.url[len("sqlite:///") :], check_same_thread=False)
            else:
                import psycopg

                conn = psycopg.connect(self.url, autocommit=True)
            self.local.conn = conn
        return list(conn.execute(sql, params).fetchall())

    def uuid_param(self, value: str) -> Any:
        return value.replace("-", "") if self.sqlite else value


def customer(r: tuple[Any, ...]) -> dict[str, Any]:
    cid, etag = _uuid(r[0]), f'W/"{r[6]}"'
    return {
        "id": cid,
        "companyProfile": {
            "tenantId": _uuid(r[1]),
            "domain": r[2],
            "companyName": r[3],
            "attributes": {"objectType": "CustomerCompanyProfile", "etag": None},
        },
        "billingProfile": {
            "id": cid,
            "firstName": r[7],
            "lastName": r[8],
            "email": r[9],
            "culture": r[10],
            "language": r[11],
            "companyName": r[12],
            "defaultAddress": {
                "country": r[13],
                "region": r[14] or None,
                "city": r[15],
                "state": r[16] or None,
                "addressLine1": r[17],
                "addressLine2": r[18] or None,
                "addressLine3": r[19] or None,
                "postalCode": r[20],
                "firstName": r[7],
                "lastName": r[8],
                "phoneNumber": r[21] or None,
                "attributes": {"objectType": "Address", "etag": None},
            },
            "attributes": {"objectType": "CustomerBillingProfile", "etag": etag},
        },
        "relationshipToPartner": r[4],
        "allowDelegatedAccess": True,
        "userCredentials": None,
        "creationDate": _when(r[5]),
        "attributes": {"objectType": "Customer", "etag": etag},
    }


def subscription(r: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "id": _uuid(r[0]),
        "offerId": r[1],
        "offerName": r[2],
        "friendlyName": r[3],
        "quantity": r[4],
        "unitType": "Licenses",
        "status": r[5],
        "autoRenewEnabled": bool(r[6]),
        "isTrial": bool(r[7]),
        "hasPurchasableAddons": False,
        "billingType": "license",
        "billingCycle": r[8],
        "contractType": "subscription",
        "termDuration": r[9],
        "unitPrice": f"{Decimal(str(r[10])):.2f}",
        "currencyCode": r[11],
        "creationDate": _when(r[12]),
        "effectiveStartDate": _when(r[12]),
        "orderId": _uuid(r[13]),
        "attributes": {"objectType": "Subscription", "etag": f'W/"{r[14]}"'},
    }


def app_for(db: Database, partner: str) -> Callable[..., Iterable[bytes]]:
    m = db.mark
    customers_sql = CUSTOMERS.format(p=m, n=m)
    subscriptions_sql = SUBSCRIPTIONS.format(p=m, p2=m)
    partner_param = db.uuid_param(partner)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        status, body = "404 Not Found", {"code": 1404}
        if path == "/v1/customers":
            size = int(parse_qs(environ.get("QUERY_STRING", "")).get("size", ["100"])[0])
            rows = db.rows(customers_sql, (partner_param, partner_param, size + 1))
            items = [customer(r) for r in rows[:size]]
            links: dict[str, Any] = {
                "self": {"uri": f"/v1/customers?size={size}", "method": "GET", "headers": []}
            }
            status = "200 OK"
            body = {
                "totalCount": rows[0][-1] if rows else 0,
                "items": items,
                "links": links,
                "attributes": {"objectType": "Collection", "etag": None},
            }
        elif match := SUBSCRIPTIONS_PATH.match(path):
            rows = db.rows(subscriptions_sql, (db.uuid_param(match[1]), partner_param))
            items = [subscription(r) for r in rows]
            status = "200 OK"
            body = {
                "totalCount": len(items),
                "items": items,
                "attributes": {"objectType": "Collection", "etag": None},
            }
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--partner", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    from gunicorn.app.base import BaseApplication

    app = app_for(Database(args.database_url), args.partner)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:  # the settings of `hanse serve` (hanse.cli.cmd_serve)
            self.cfg.set("bind", f"127.0.0.1:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return app

    Server().run()


if __name__ == "__main__":
    main()
