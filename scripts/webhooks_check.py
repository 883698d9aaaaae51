#!/usr/bin/env python3
"""Webhook delivery against the real binary, checked by an independent implementation.

A receiver on loopback verifies every delivery with the `standardwebhooks` package, answers
500 twice to the first event (Gatehouse must retry, same webhook-id), then answers slowly
while the server is killed with SIGKILL mid-delivery; after a restart every event must
still arrive (at-least-once: duplicates allowed, losses not).
Usage: webhooks_check.py PATH_TO_GATEHOUSE_BINARY
"""
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from standardwebhooks.webhooks import Webhook

from harness import Checks, Gatehouse, free_port

checks = Checks()
check = checks.check


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (webhook-id, payload, verified)
        self.failures_left = {}
        self.delay = 0.0
        self.secret = None


receiver = Receiver()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = Webhook(receiver.secret).verify(body, headers)
            verified = True
        except Exception as error:  # noqa: BLE001 - any verification failure counts
            payload, verified = {"error": str(error)}, False
        with receiver.lock:
            receiver.messages.append((headers.get("webhook-id"), payload, verified))
            delay = receiver.delay
            failing = receiver.failures_left.get(payload.get("type"), 0)
            if failing:
                receiver.failures_left[payload.get("type")] = failing - 1
        time.sleep(delay)
        self.send_response(500 if failing else 200)
        self.end_headers()


http_port = free_port()
threading.Thread(target=ThreadingHTTPServer(("127.0.0.1", http_port), Handler).serve_forever, daemon=True).start()

gatehouse = Gatehouse(sys.argv[1], "gatehouse-webhooks-")
base = gatehouse.base
admin = gatehouse.bootstrap()
auth = {"Authorization": f"Bearer {admin}"}


def start():
    return gatehouse.start("--webhook-allow-private-targets", "--webhook-retry-base-seconds", "0.2",
                           "--webhook-timeout-seconds", "2")


def wait_until(condition, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


server = start()
try:
    tenant = requests.post(base + "/api/v1/admin/tenants", json={"name": "Hooks"}, headers=auth).json()["id"]
    hook = requests.post(base + f"/api/v1/webhooks/tenants/{tenant}/subscriptions", headers=auth,
                         json={"url": f"http://127.0.0.1:{http_port}/hook", "event_types": ["*"]}).json()
    receiver.secret = hook["secret"]
    receiver.failures_left["webhook.test"] = 2
    requests.post(base + f"/api/v1/webhooks/tenants/{tenant}/subscriptions/{hook['id']}/test", headers=auth)
    wait_until(lambda: len(receiver.messages) >= 3, 20)
    with receiver.lock:
        first = list(receiver.messages)
    check("standardwebhooks verifies every signature", first and all(v for _, _, v in first), first)
    check("a 500 is retried with the same webhook-id until it succeeds",
          len(first) == 3 and len({m[0] for m in first}) == 1, [m[0] for m in first])

    # Deliveries in flight when the server is killed with SIGKILL arrive after a restart.
    with receiver.lock:
        receiver.delay = 1.0
        receiver.messages.clear()
    key_ids = []
    for index in range(20):
        key_ids.append(requests.post(base + f"/api/v1/iam/tenants/{tenant}/api-keys", headers=auth,
                                     json={"name": f"k{index}", "scopes": ["iam:read"]}).json()["id"])
    wait_until(lambda: len(receiver.messages) >= 1, 10)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    with receiver.lock:
        seen_before = len(receiver.messages)
        receiver.delay = 0.0
    server = start()

    def all_keys_seen():
        with receiver.lock:
            return {p.get("data", {}).get("id") for _, p, _ in receiver.messages if p.get("type") == "key.created"} >= set(key_ids)

    arrived = wait_until(all_keys_seen, 60)
    with receiver.lock:
        messages = list(receiver.messages)
    created = [p.get("data", {}).get("id") for _, p, _ in messages if p.get("type") == "key.created"]
    check("every event arrives after SIGKILL mid-delivery and a restart",
          arrived, f"{len(set(created) & set(key_ids))} of {len(key_ids)} (seen {seen_before} before the kill)")
    check("every delivery after the restart verifies", all(v for _, _, v in messages), messages[:3])
    print(f"   {len(created)} deliveries for {len(key_ids)} events ({len(created) - len(set(created))} repeated "
          f"after the kill: at-least-once)", flush=True)
finally:
    server.terminate()
    server.wait(timeout=15)

checks.finish("webhooks")
