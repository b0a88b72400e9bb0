-- Files the bot's web server hands out under unguessable, expiring URLs
-- (bot/web/files.py): documents for channels that cannot send files (WeChat).
CREATE TABLE files (
    token      TEXT PRIMARY KEY,            -- 32 URL-safe random characters: the URL's secret
    filename   TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL                -- UTC ISO-8601; after it the URL answers 410 Gone
);
CREATE INDEX files_expiry ON files (expires_at);
