#!/usr/bin/env python3
"""A local receiver for `leadscore-train score --notify`: checks each POST's signature and
prints the new MQL, one line each. Standard library only.

    LEADSCORE_WEBHOOK_SECRET=s3cret python3 bench/webhook_receiver.py --port 8099 [--fail-first 2]

--fail-first N answers the first N requests with 503 (to watch the retries). A request whose
X-Leadscore-Signature is not sha256=HMAC-SHA256(secret, body) gets 401. The same idempotency
key seen twice is acknowledged and printed as a duplicate (delivery is at least once).
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    secret = os.environ.get("LEADSCORE_WEBHOOK_SECRET", "").encode()
    if not secret:
        sys.exit("set LEADSCORE_WEBHOOK_SECRET")
    state = {"requests": 0, "seen": set()}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state["requests"] += 1
            if state["requests"] <= args.fail_first:
                self.answer(503, "try again later")
                return
            want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, self.headers.get("X-Leadscore-Signature", "")):
                self.answer(401, "bad signature")
                return
            key = self.headers.get("Idempotency-Key", "")
            lead = json.loads(body)
            note = " (duplicate)" if key in state["seen"] else ""
            state["seen"].add(key)
            print(
                f"new MQL {lead['lead_id']} score {lead['score']:.3f} tier {lead['tier']}{note}: "
                + "; ".join(f["factor"] for f in lead["factors"][:2]),
                flush=True,
            )
            self.answer(200, "ok")

        def answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            pass

    print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
