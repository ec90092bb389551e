"""hubspot-sdk against ``serve --emulator --token … --seed …`` with nothing but the environment a
user's suite would set (HUBSPOT_ACCESS_TOKEN, HUBSPOT_BASE_URL), as in a CI job (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.emulator import NEWSLETTER, OUTDOOR_DEALS, SEED, TOKEN, EmulatorServer

_CLIENT = """
import json, os
from hubspot_sdk import HubSpot
client = HubSpot(access_token=os.environ["HUBSPOT_ACCESS_TOKEN"])
types = client.communication_preferences.definitions.list()
opted = client.communication_preferences.unsubscribe_all("ann@example.com", channel="EMAIL",
                                                         verbose=True)
print(json.dumps({"types": [[t.id, t.name] for t in types.results],
                  "unsubscribed": sorted(r.subscription_id for r in opted.results)}))
"""


def test_the_sdk_configured_by_the_environment_sees_the_seeded_types(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(SEED))
    with EmulatorServer(tmp_path / "emulator.log", "--token", TOKEN, "--seed", str(seed)) as hub:
        environment = {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": hub.url}
        done = subprocess.run(
            [sys.executable, "-c", _CLIENT],
            env={"PATH": "/usr/bin:/bin", **environment},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["types"] == [[str(NEWSLETTER), "Newsletter"], [str(OUTDOOR_DEALS), "Outdoor deals"]]
    assert seen["unsubscribed"] == [NEWSLETTER, OUTDOOR_DEALS]
