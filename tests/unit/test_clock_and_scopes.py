from __future__ import annotations

from commprefs.auth.models import BATCH_WRITE, GENERATE_LINKS, READ_STATUS, WRITE_STATUS
from commprefs.clock import iso_ms


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(1_722_626_919_390) == "2024-08-02T19:28:39.390Z"


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
