from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from commprefs.domain.clock import iso_ms, parse_instant
from commprefs.domain.tokens import BATCH_WRITE, GENERATE_LINKS, READ_STATUS, WRITE_STATUS


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(1_722_626_919_390) == "2024-08-02T19:28:39.390Z"


def test_timestamps_agree_with_datetime_from_1970_to_9999() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    last = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
    rng = random.Random(8)  # noqa: S311 - seeded: reproducible samples, not secrets
    edges = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, 951_782_399_999, last]
    for value in edges + [rng.randrange(last + 1) for _ in range(20_000)]:
        moment = epoch + timedelta(milliseconds=value)
        assert iso_ms(value) == moment.isoformat(timespec="milliseconds")[:-6] + "Z", value


def test_instants_are_read_from_1970_through_9999_in_every_form() -> None:
    last = 253_402_300_799_999
    assert parse_instant("0") == parse_instant("1970-01-01") == 0
    assert parse_instant("1970-01-01T01:00:00+01:00") == 0
    assert parse_instant(str(last)) == parse_instant("9999-12-31T23:59:59.999Z") == last
    assert parse_instant("9999-12-31T23:59:59.999999+00:00") == last
    assert parse_instant(" 2024-08-02T19:28:39.390Z ") == 1_722_626_919_390


@pytest.mark.parametrize(
    "text",
    [
        str(253_402_300_799_999 + 1),
        str(2**63),
        "9" * 5000,  # more digits than int() reads
        "-1",
        "10000-01-01",
        "0000-01-01",
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:59:59+01:00",
        "9999-12-31T23:59:59-05:00",
        "NaN",
        "inf",
        "1.5",
        "1e3",
        "\u0661\u0662\u0663",
        "",
    ],
)
def test_instants_outside_that_range_are_refused_naming_it(text: str) -> None:
    span = re.escape("1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z")
    with pytest.raises(ValueError, match=span):
        parse_instant(text)


def test_either_scope_family_satisfies_a_rule() -> None:
    assert WRITE_STATUS.allows(frozenset({"communication_preferences.write"}))
    assert WRITE_STATUS.allows(frozenset({"subscriptions-status-write"}))
    assert not WRITE_STATUS.allows(frozenset({"communication_preferences.read"}))
    assert READ_STATUS.allows(frozenset({"communication_preferences.read_write"}))


def test_links_need_read_and_write_together_or_read_write() -> None:
    assert not GENERATE_LINKS.allows(frozenset({"communication_preferences.read"}))
    assert GENERATE_LINKS.allows(
        frozenset({"communication_preferences.read", "communication_preferences.write"})
    )
    assert GENERATE_LINKS.allows(frozenset({"communication_preferences.read_write"}))


def test_batch_writes_need_the_batch_scope() -> None:
    assert not BATCH_WRITE.allows(frozenset({"communication_preferences.read_write"}))
    assert BATCH_WRITE.missing(frozenset()) == ["communication_preferences.statuses.batch.write"]
