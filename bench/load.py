"""The load generator: a separate process, so that its work does not share the server's
interpreter. ``connections`` threads each keep one HTTP/1.1 connection open and send GETs for
``seconds``; it prints one JSON line: requests, requests per second, p50 and p99 latency (ms),
and the statuses seen. With ``--body``, each request is a POST of that JSON, every ``{n}`` in it
replaced by a number no other request of the run has (a new customer's domain, say).

    python -m bench.load --url http://127.0.0.1:8000/v1/customers?size=100 --connections 8 \\
        --seconds 10 [--header "Authorization: Bearer ..."]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlsplit


def run(
    url: str, *, connections: int, seconds: float, headers: dict[str, str], body: str = ""
) -> dict[str, object]:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[Counter[int]] = [Counter() for _ in range(connections)]
    start = threading.Event()
    deadline = [0.0]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
        start.wait()
        mine, seen = latencies[n], statuses[n]
        sent = 0
        while (now := time.perf_counter()) < deadline[0]:
            if body:
                sent += 1
                data = body.replace("{n}", f"{os.getpid()}-{n}-{sent}").encode()
                conn.request("POST", path, body=data, headers={**headers, "Content-Type": "application/json"})
            else:
                conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - now)
            seen[response.status] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for xs in latencies for x in xs)
    total: Counter[int] = sum(statuses, Counter())
    return {
        "requests": len(every),
        "rps": len(every) / elapsed,
        "p50_ms": 1000 * statistics.median(every) if every else None,
        "p99_ms": 1000 * every[min(len(every) - 1, int(len(every) * 0.99))] if every else None,
        "statuses": {str(k): v for k, v in sorted(total.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body", default="", help="POST this JSON; {n}: a number unique in the run")
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    result = run(
        args.url, connections=args.connections, seconds=args.seconds, headers=headers, body=args.body
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
