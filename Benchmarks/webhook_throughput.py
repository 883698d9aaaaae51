#!/usr/bin/env python3
"""Webhook deliveries per second, end to end on the release binary.

Queues N deliveries while the server runs with --no-jobs (nothing is sent), restarts it
with its dispatcher on, and times how long the outbox takes to drain into a minimal
asyncio receiver on loopback (it answers 200 at once, so the figure is Gatehouse's side:
claiming, signing, HTTP, recording each attempt).
Usage: webhook_throughput.py PATH_TO_GATEHOUSE_BINARY [N]
"""
import asyncio
import os
import sqlite3
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from harness import Gatehouse, free_port  # noqa: E402

BINARY = os.path.abspath(sys.argv[1])
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 5000


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


receiver_port = free_port()


def serve():
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", receiver_port)
        await server.serve_forever()
    asyncio.run(main())


threading.Thread(target=serve, daemon=True).start()
gatehouse = Gatehouse(BINARY, "gatehouse-webhook-bench-")
work, base = gatehouse.work, gatehouse.base
auth = {"Authorization": f"Bearer {gatehouse.bootstrap()}"}


def start(extra):
    return gatehouse.start("--webhook-allow-private-targets", *extra, quiet=True)


server = start(["--no-jobs"])
session = requests.Session()
tenant = session.post(base + "/api/v1/admin/tenants", json={"name": "bench"}, headers=auth).json()["id"]
hook = session.post(base + f"/api/v1/webhooks/tenants/{tenant}/subscriptions", headers=auth,
                    json={"url": f"http://127.0.0.1:{receiver_port}/hook"}).json()
for _ in range(COUNT):
    session.post(base + f"/api/v1/webhooks/tenants/{tenant}/subscriptions/{hook['id']}/test", headers=auth)
server.terminate()
server.wait()

database = sqlite3.connect(os.path.join(work, "gatehouse-data", "gatehouse.sqlite"))
started = time.time()
server = start([])
while True:
    (done,) = database.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'succeeded'").fetchone()
    if done >= COUNT or time.time() - started > 300:
        break
    time.sleep(0.05)
elapsed = time.time() - started
server.terminate()
server.wait()
print(f"webhook deliveries: {done} in {elapsed:.2f} s = {done / elapsed:.0f}/s (includes the server's start)")
