-- Roles granted to platform ids (bot/roles.py), one-time invitations (only a
-- hash of each code is kept) and the audit log of privileged actions.
-- Grants from the configuration and the programme are not stored here.
CREATE TABLE invitations (
    id                   INTEGER PRIMARY KEY,
    code_hash            TEXT NOT NULL UNIQUE,   -- SHA-256 of the code, hex
    role                 TEXT NOT NULL CHECK (role IN ('organiser', 'facilitator', 'moderator')),
    scope                TEXT NOT NULL DEFAULT '',  -- '' (the event), 'stream:<id>' or 'session:<id>'
    created_by           TEXT NOT NULL,          -- 'cli:<user>' or 'telegram:<id>'...
    created_at           TEXT NOT NULL,
    expires_at           TEXT NOT NULL,
    redeemed_at          TEXT,
    redeemed_channel     TEXT,
    redeemed_platform_id TEXT
);

CREATE TABLE role_grants (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    platform_id   TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('organiser', 'facilitator', 'moderator')),
    scope         TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,                 -- 'invitation', 'command line', 'chat'
    granted_by    TEXT,
    granted_at    TEXT NOT NULL,
    invitation_id INTEGER REFERENCES invitations (id),
    revoked_at    TEXT,
    revoked_by    TEXT
);
-- one grant in force per person, role and scope
CREATE UNIQUE INDEX role_grants_in_force ON role_grants (channel, platform_id, role, scope) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,                       -- UTC ISO-8601
    actor   TEXT NOT NULL,                       -- who: 'telegram:<id>', 'wechat:<openid>', 'cli:<user>'
    action  TEXT NOT NULL,                       -- 'role.granted', 'invitation.redeemed', 'command', ...
    target  TEXT,
    detail  TEXT                                 -- JSON
);
CREATE INDEX audit_log_at ON audit_log (at);
