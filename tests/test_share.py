"""The learner's work as a file (download, then load back) and as a link."""

from urllib.parse import parse_qs

import pytest

from lab.share import Work, share_query, work_from_json, work_to_json


def test_work_survives_a_round_trip_through_its_file():
    work = Work(
        "x = 2\ny = 3\nz = x*y + y", {"grad:x": "3", "grad:y": "x + 1"}, {"tolerance": 0.01}, "Gradients add up."
    )
    assert work_from_json(work_to_json(work)) == work
    assert work_from_json(work_to_json(work).encode()) == work


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe", "not text"),
        ("not json", "not JSON"),
        ('{"program": "x"}', "not a Backprop Lab work file"),
        ('{"format": "backprop-lab-work", "program": 3}', "no program"),
        ('{"format": "backprop-lab-work", "program": "x", "hand": {"a": 1}}', "hand entries"),
        ("[]", "not a Backprop Lab work file"),
        (b"{" + b" " * 2_000_000 + b"}", "too large"),
    ],
)
def test_a_damaged_or_foreign_file_gives_a_clear_message(content, message):
    with pytest.raises(ValueError, match=message):
        work_from_json(content)


def test_share_link_carries_the_program_url_encoded():
    program = "x = 2\ny = 3\nz = x*y + y"
    query = share_query(program)
    assert "%0A" in query and " " not in query
    assert parse_qs(query)["expr"] == [program]
