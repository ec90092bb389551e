"""The JSON log formatter's scrubbing: no address, token, secret or password survives it."""

from __future__ import annotations

import json
import logging

import pytest

from commprefs.observability.logs import JsonFormatter, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /v4/statuses/jane.doe+tag@example.com", "GET /v4/statuses/***@***"),
        ("/v4/statuses/jane%40example.com/unsubscribe-all", "/v4/statuses/***@***/unsubscribe-all"),
        ("to <Jane@Example.COM>.", "to <***@***>."),
        ("token cpat-AbC_12-xyz refused", "token cpat-*** refused"),
        ("secret whsec_abcDEF123 set", "secret whsec_*** set"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
        ("postgresql://app:s3cret@db:5432/x", "postgresql://app:***@db:5432/x"),
        (
            "nothing personal here: GET /definitions 200",
            "nothing personal here: GET /definitions 200",
        ),
    ],
)
def test_scrub_masks_what_must_not_be_logged(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_a_formatted_record_is_one_json_object_with_the_request_fields() -> None:
    record = logging.LogRecord(
        "commprefs.access", logging.INFO, __file__, 1, "GET %s %d", ("/x/a@b.example", 200), None
    )
    record.operation = "GET /x/{subscriberIdString}"
    record.path = "/x/a@b.example"
    record.status = 200
    record.duration_ms = 1.5
    record.token_id = 7
    record.correlation_id = "c0ffee"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "GET /x/***@*** 200"
    assert parsed["path"] == "/x/***@***"
    assert (parsed["status"], parsed["durationMs"], parsed["tokenId"]) == (200, 1.5, 7)
    assert parsed["correlationId"] == "c0ffee"
    assert parsed["time"].endswith("Z")
    assert parsed["level"] == "INFO"
