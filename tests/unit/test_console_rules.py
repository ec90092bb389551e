"""The console's pure rules: its session cookie's attributes, the role rule, what the ledger
records as a console change's source, a type's counts, and the chart's geometry."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from commprefs.console.charts import HALF, TOP, day_chart
from commprefs.console.render import set_session_cookie
from commprefs.domain.errors import InvalidInput
from commprefs.domain.operators import ConsoleUser, DayCounts, NotAllowed, Role
from commprefs.domain.preferences import Definition
from commprefs.operators.changes import change_source
from commprefs.operators.dashboard import type_counts
from commprefs.operators.service import require_admin


def _user(role: Role) -> ConsoleUser:
    return ConsoleUser(7, 1, "ops@example.com", role, 0, None)


@pytest.mark.parametrize(
    ("public_url", "secure", "path"),
    [
        ("https://prefs.example.com", True, "/console"),
        ("http://127.0.0.1:8080", False, "/console"),
        ("https://example.com/commprefs", True, "/commprefs/console"),
    ],
)
def test_the_session_cookie_is_secure_under_https_and_never_readable_by_scripts(
    public_url: str, secure: bool, path: str
) -> None:
    response = Response()
    set_session_cookie(response, "secret", public_url)
    cookie = response.headers["set-cookie"]
    assert ("Secure" in cookie) is secure
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert f"Path={path};" in cookie or cookie.endswith(f"Path={path}")


def test_only_admins_change() -> None:
    require_admin(_user(Role.ADMIN))
    with pytest.raises(NotAllowed):
        require_admin(_user(Role.VIEWER))


def test_a_console_change_names_the_user_and_needs_a_short_reason() -> None:
    user = _user(Role.ADMIN)
    assert (
        change_source(user, "asked\n  by phone")
        == "console user 7 (ops@example.com): asked by phone"
    )
    for reason in ["", "   ", "x" * 121]:
        with pytest.raises(InvalidInput):
            change_source(user, reason)
    assert len(change_source(user, "x" * 120)) <= 200


def test_a_type_counts_addresses_an_opt_out_of_all_covers_as_unsubscribed() -> None:
    kind = Definition(3, 1, 0, "News", "", "", "", True, False, False, 0, 0)
    stored = {(3, "SUBSCRIBED"): 10, (3, "UNSUBSCRIBED"): 4, (3, "NOT_SPECIFIED"): 2}
    covered = {(3, "SUBSCRIBED"): 1, (3, "NOT_SPECIFIED"): 1, (3, None): 5, (3, "UNSUBSCRIBED"): 2}
    counts = type_counts(kind, 40, stored, covered)
    assert (counts.subscribed, counts.unsubscribed, counts.never_chosen) == (9, 11, 20)


def test_the_chart_has_a_bar_per_change_scaled_to_the_busiest_day() -> None:
    days = [DayCounts("2026-12-01", 4, 0), DayCounts("2026-12-02", 0, 2), DayCounts("x", 0, 0)]
    chart = day_chart(days)
    assert [(b.kind, b.height) for b in chart.bars] == [("in", HALF), ("out", HALF / 2)]
    assert chart.axis_y == TOP + HALF
    assert chart.bars[0].y + chart.bars[0].height == chart.axis_y  # opt-ins stand on the axis
    assert chart.bars[1].y == chart.axis_y  # opt-outs hang from it
    assert chart.bars[0].title == "2026-12-01: 4 opt-ins"
    assert (chart.first_day, chart.last_day, chart.peak) == ("2026-12-01", "x", 4)
