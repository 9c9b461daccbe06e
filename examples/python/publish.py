"""Publish an event to one user's sockets through the HTTP publish API (python3 + requests).

    python3 examples/python/publish.py u1 booking_reminder '{"bookingId": 7}'

RT_URL, PUBLISH_API_KEY and TENANT override the `bun run dev` defaults.
"""
import json
import os
import sys

import requests

URL = os.environ.get("RT_URL", "http://localhost:3000")
API_KEY = os.environ.get("PUBLISH_API_KEY", "dev-publish-key-change-me")
TENANT = os.environ.get("TENANT", "default")


def publish(user_id: str, event: str, data: object) -> str:
    """Send `event` with `data` to every socket of `user_id`; returns the delivery id."""
    res = requests.post(
        f"{URL}/api/publish",
        headers={"x-api-key": API_KEY},
        json={"tenantId": TENANT, "target": {"kind": "user", "id": user_id}, "event": event, "data": data},
        timeout=10,
    )
    if res.status_code != 202:
        raise SystemExit(f"publish refused: {res.status_code} {res.text}")
    return res.json()["id"]


if __name__ == "__main__":
    user, event, data = (sys.argv[1:] + ["u1", "booking_reminder", '{"bookingId": 7}'][len(sys.argv) - 1 :])[:3]
    print("published", publish(user, event, json.loads(data)))
