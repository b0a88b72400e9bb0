"""The last known location of each delegate: what they shared, or what their phone reported.

One row per delegate, replaced by the next one; ``/where`` reads it to say
how far the next session is and when to leave.  Each write is committed
before it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.conversation import Location
from bot.geo import Datum
from bot.store.db import Database, iso, parse_iso


@dataclass(frozen=True)
class KnownLocation:
    """Where a delegate was, when, and whether they shared it themselves or their phone reported it."""

    location: Location
    recorded_at: dt.datetime
    reported: bool = False

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.recorded_at


class LastLocations:
    """Repository of the last location per delegate."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(self, user_id: int, location: Location, now: dt.datetime, *, reported: bool = False) -> None:
        """Keep ``location`` as the delegate's last one (in its own datum), replacing the one before."""
        await self.db.execute(
            "INSERT INTO last_locations (user_id, latitude, longitude, datum, label, reported, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET latitude = excluded.latitude, "
            "longitude = excluded.longitude, datum = excluded.datum, label = excluded.label, "
            "reported = excluded.reported, recorded_at = excluded.recorded_at",
            (user_id, location.latitude, location.longitude, location.datum.value, location.label, int(reported), iso(now)),
        )

    async def last(self, user_id: int) -> KnownLocation | None:
        row = await self.db.fetchone(
            "SELECT latitude, longitude, datum, label, reported, recorded_at FROM last_locations WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        location = Location(row[0], row[1], row[3], Datum(row[2]))
        return KnownLocation(location, parse_iso(row[5]), bool(row[4]))

    async def forget(self, user_id: int) -> bool:
        return await self.db.execute("DELETE FROM last_locations WHERE user_id = ?", (user_id,)) > 0
