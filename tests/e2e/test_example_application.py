"""The example application (examples/newsletter) and its own suite, which uses the commprefs
pytest plugin as a user would (issue 15): it passes, and a copy whose unsubscribe call is removed
fails it (the suite tests what the application does, not that it runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.emulator import run_suite

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "newsletter"
UNSUBSCRIBE_CALL = (
    '            hubspot.communication_preferences.unsubscribe_all(email, channel="EMAIL")\n'
)


def test_the_example_suite_passes_with_the_plugin() -> None:
    done = run_suite(EXAMPLE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


def test_the_example_suite_fails_an_application_that_does_not_unsubscribe(tmp_path: Path) -> None:
    broken = tmp_path / "newsletter"
    shutil.copytree(EXAMPLE, broken, ignore=shutil.ignore_patterns("__pycache__"))
    source = (broken / "newsletter.py").read_text()
    assert UNSUBSCRIBE_CALL in source
    (broken / "newsletter.py").write_text(source.replace(UNSUBSCRIBE_CALL, "            pass\n"))

    done = run_suite(broken)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED tests/test_newsletter.py::test_an_unsubscribed_user_is_sent_nothing" in (
        done.stdout
    )
    assert "FAILED tests/test_newsletter.py::test_the_state_shows_the_opt_out" in done.stdout
    assert "FAILED tests/test_newsletter.py::test_hubspots_rate_limit_is_retried" in done.stdout
