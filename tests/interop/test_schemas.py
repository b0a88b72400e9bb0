"""The inputs, checked against the formats' published schemas (c3voc's schema.json and schedule.xml.xsd).

The samples written for these tests follow the schemas exactly.  The real
exports in ../shared do not, quite: the tests name each way they depart
from them, so that the importer is known to read what real exports write
(and a new kind of departure shows up here).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from tests.interop.helpers import C3VOC, FRAB, PRETALX, schedules


def json_errors(path: Path) -> list[jsonschema.ValidationError]:
    schema = json.loads(schedules("c3voc-schedule-schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft6Validator(schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)
    return list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))


def xml_errors(path: Path) -> list[xmlschema.XMLSchemaValidationError]:
    return list(xmlschema.XMLSchema(str(schedules("schedule.xml.xsd"))).iter_errors(str(path)))


@pytest.mark.parametrize("sample", [C3VOC, PRETALX], ids=["c3voc", "pretalx"])
def test_the_json_samples_follow_the_published_schema(sample: Path) -> None:
    assert [e.message for e in json_errors(sample)] == []


def test_the_xml_sample_follows_the_published_schema() -> None:
    assert [e.reason for e in xml_errors(FRAB)] == []


def test_pretalx_democon_follows_the_published_schema() -> None:
    assert [e.message for e in json_errors(schedules("pretalx-democon.json"))] == []


def test_camp_2019_departs_from_the_schema_only_in_upper_case_acronym_and_slugs() -> None:
    errors = json_errors(schedules("camp2019.json"))
    assert errors  # the schema wants lower case; the export says "Camp2019"
    kinds = Counter((e.validator, str(list(e.absolute_path)[-1])) for e in errors)
    assert set(kinds) == {("pattern", "acronym"), ("pattern", "slug")}
    assert kinds[("pattern", "slug")] == 79  # every event's slug starts "Camp2019-"


def test_fosdem_2025_departs_from_the_schema_only_in_elements_it_adds() -> None:
    errors = xml_errors(schedules("fosdem-2025.xml"))
    found = Counter((re.sub(r"\[\d+\]", "", e.path or ""), e.reason) for e in errors)
    assert found == Counter({
        ("/schedule/day/room", "'slug' attribute not allowed for element"): 80,
        ("/schedule/conference", "Unexpected child with tag 'subtitle' at position 3."): 1,
        ("/schedule/conference", "Unexpected child with tag 'venue' at position 4."): 1,
        ("/schedule/conference", "Unexpected child with tag 'city' at position 5."): 1,
        ("/schedule/conference", "Unexpected child with tag 'day_change' at position 9."): 1,
        ("/schedule", "Unexpected child with tag 'tracks' at position 3. Tag 'day' expected."): 1,
    })  # its 943 events follow the schema
