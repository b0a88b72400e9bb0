-- The last place each delegate shared or their phone reported (bot/store/locations.py):
-- one row per delegate, replaced by the next, used by /where to say when to leave.
-- Only the latest is kept; it goes with the delegate (ON DELETE CASCADE).
CREATE TABLE last_locations (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    latitude     REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude    REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    datum        TEXT NOT NULL CHECK (datum IN ('wgs84', 'gcj02', 'bd09')),
    label        TEXT,
    reported     INTEGER NOT NULL DEFAULT 0,    -- 1: an automatic report (WeChat LOCATION), 0: shared by the delegate
    recorded_at  TEXT NOT NULL                  -- UTC ISO-8601
);
