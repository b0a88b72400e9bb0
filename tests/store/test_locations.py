"""The last known location per delegate: kept in its own datum, replaced by the next, gone with the delegate."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation import Location, UserRef
from bot.geo import Datum
from bot.store import Database, Users
from bot.store.locations import LastLocations
from tests.conftest import at

NOW = at("2025-06-05T10:00")


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "store.sqlite3")
    yield database
    await database.close()


async def test_the_last_location_is_kept_in_its_own_datum_and_replaced_by_the_next(db: Database) -> None:
    users, locations = Users(db), LastLocations(db)
    alice = await users.seen(UserRef("test", "alice"), None, NOW)
    assert await locations.last(alice.id) is None
    await locations.remember(alice.id, Location(23.1291146, 113.2643859, "Tianhe", Datum.GCJ02), NOW)
    kept = await locations.last(alice.id)
    assert kept is not None and kept.location == Location(23.1291146, 113.2643859, "Tianhe", Datum.GCJ02)
    assert kept.recorded_at == NOW and not kept.reported
    later = at("2025-06-05T10:30")
    await locations.remember(alice.id, Location(23.131788, 113.2590543), later, reported=True)
    kept = await locations.last(alice.id)
    assert kept is not None and kept.location == Location(23.131788, 113.2590543, None, Datum.WGS84)
    assert kept.reported and kept.age(at("2025-06-05T11:00")).total_seconds() == 1800
    assert (await db.fetchone("SELECT COUNT(*) FROM last_locations"))[0] == 1  # only the latest is kept


async def test_a_location_is_forgotten_on_request_and_with_the_delegate(db: Database) -> None:
    users, locations = Users(db), LastLocations(db)
    alice = await users.seen(UserRef("test", "alice"), None, NOW)
    bob = await users.seen(UserRef("test", "bob"), None, NOW)
    await locations.remember(alice.id, Location(23.13, 113.26), NOW)
    await locations.remember(bob.id, Location(23.14, 113.32), NOW)
    assert await locations.forget(alice.id) and not await locations.forget(alice.id)
    await db.execute("DELETE FROM users WHERE id = ?", (bob.id,))
    assert await locations.last(bob.id) is None


async def test_the_database_refuses_a_position_off_the_globe(db: Database) -> None:
    alice = await Users(db).seen(UserRef("test", "alice"), None, NOW)
    with pytest.raises(Exception, match="CHECK constraint failed"):
        await LastLocations(db).remember(alice.id, Location(113.26, 23.13), NOW)
