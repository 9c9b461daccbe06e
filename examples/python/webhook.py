"""Send a signed payments webhook, as a payment provider does (python3 + requests).

The `Payment-Signature` header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
with PAYMENTS_WEBHOOK_SECRET; sign the exact bytes you send. The platform stores the invoice and
sends `payment_update` to the tenant's admins and to the invoice's user.

    python3 examples/python/webhook.py inv_123 paid 1000 u1

RT_URL, PAYMENTS_WEBHOOK_SECRET and TENANT override the `bun run dev` defaults.
"""
import hashlib
import hmac
import json
import os
import sys
import time
import uuid

import requests

URL = os.environ.get("RT_URL", "http://localhost:3000")
SECRET = os.environ.get("PAYMENTS_WEBHOOK_SECRET", "dev-webhook-secret-change-me")
TENANT = os.environ.get("TENANT", "default")


def sign(secret: str, raw_body: bytes, t: int) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def send(invoice_id: str, status: str, amount: float, user_id: str) -> dict:
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": f"invoice.{status}",
        "tenantId": TENANT,
        "data": {"invoiceId": invoice_id, "status": status, "amount": amount, "userId": user_id},
    }
    raw = json.dumps(event).encode()
    res = requests.post(
        f"{URL}/api/payments/webhook",
        data=raw,
        headers={"content-type": "application/json", "payment-signature": sign(SECRET, raw, int(time.time()))},
        timeout=10,
    )
    if res.status_code != 200:
        raise SystemExit(f"webhook refused: {res.status_code} {res.text}")
    return res.json()


if __name__ == "__main__":
    invoice, status, amount, user = (sys.argv[1:] + ["inv_123", "paid", "1000", "u1"][len(sys.argv) - 1 :])[:4]
    print("webhook", send(invoice, status, float(amount), user))
