-- Calendar subscriptions (bot/calendars.py): each delegate's agenda feed is
-- reached by an unguessable token, and every session's revision as calendars
-- see it (a moved session's SEQUENCE goes up, so phones update it).
CREATE TABLE calendar_feeds (              -- personal data: whose agenda a token opens
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token       TEXT NOT NULL UNIQUE,      -- 32 URL-safe random characters: the feed URL's secret
    created_at  TEXT NOT NULL
);

CREATE TABLE calendar_revisions (          -- no personal data: one row per session of the programme
    session_id  TEXT PRIMARY KEY,
    digest      TEXT NOT NULL,             -- what a calendar shows of the session, hashed
    sequence    INTEGER NOT NULL,          -- iCalendar SEQUENCE: 0, then one more at each change
    modified_at TEXT NOT NULL              -- UTC ISO-8601: LAST-MODIFIED
) WITHOUT ROWID;
