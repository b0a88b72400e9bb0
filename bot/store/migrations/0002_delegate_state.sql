-- What each delegate chose (bookmarks, streams, site visits, reminder settings)
-- and which reminders were sent.  The pending schedule is recomputed from the
-- choices and the programme at start-up; a reminder recorded here is never
-- sent again.
CREATE TABLE bookmarks (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, session_id)
) WITHOUT ROWID;
CREATE INDEX bookmarks_session ON bookmarks (session_id);

CREATE TABLE stream_subscriptions (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stream_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, stream_id)
) WITHOUT ROWID;
CREATE INDEX stream_subscriptions_stream ON stream_subscriptions (stream_id);

CREATE TABLE visit_signups (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, session_id)
) WITHOUT ROWID;
CREATE INDEX visit_signups_session ON visit_signups (session_id);

CREATE TABLE reminder_settings (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enabled       INTEGER NOT NULL DEFAULT 1,
    lead_minutes  INTEGER CHECK (lead_minutes IS NULL OR lead_minutes BETWEEN 0 AND 1440)
);                                        -- NULL lead: 15 min before a session, 30 before a visit leaves

CREATE TABLE sent_reminders (             -- the pending schedule is derived, not stored
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('session', 'visit')),
    due_at      TEXT NOT NULL,            -- UTC ISO-8601, when it was due
    sent_at     TEXT NOT NULL,            -- UTC ISO-8601, when it went to the outbox
    PRIMARY KEY (user_id, session_id, kind)   -- at most one reminder per delegate, session and kind
) WITHOUT ROWID;
