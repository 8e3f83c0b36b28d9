#!/usr/bin/env python3
"""A sample receiver of Beacon's handoff webhooks (Standard Webhooks 1.0).

Standard library only. It verifies each delivery's signature and
timestamp, drops a retry it has already handled (by `webhook-id`), prints
the handoff it accepted as one JSON line, and answers 204. Anything that
does not verify is answered 401 and never acted on.

    WEBHOOK_SECRET=whsec_... python3 docs/webhook-receiver.py 127.0.0.1:9000

Several secrets (during a rotation) may be given separated by spaces.
See docs/webhooks.md.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60
SECRETS = [base64.b64decode(s.removeprefix("whsec_")) for s in os.environ["WEBHOOK_SECRET"].split()]
SEEN = set()


def verified(headers, body: bytes) -> bool:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "").split()
    if not msg_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    for key in SECRETS:
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for sig in signatures:
            version, _, value = sig.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return True
    return False


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if not verified(self.headers, body):
            self.send_response(401)
            self.end_headers()
            return
        msg_id = self.headers["webhook-id"]
        if msg_id not in SEEN:  # a retry of one already handled is acknowledged, not acted on twice
            SEEN.add(msg_id)
            print(json.dumps({"webhook_id": msg_id, "handoff": json.loads(body)}), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # the payload may name places: keep it out of logs
        pass


if __name__ == "__main__":
    host, _, port = sys.argv[1].rpartition(":")
    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
