-- Organisations, consortia, people, sessions, sign-in attempts and the audit log.
-- Times are UTC text in one fixed format (2026-11-25T18:29:07.123456Z), so that
-- text order is time order.

CREATE TABLE organisations (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL CHECK (length(trim(name)) > 0),
    kind          TEXT NOT NULL CHECK (kind IN ('authority', 'supplier', 'coordinator')),
    contact_name  TEXT,
    contact_email TEXT,
    telephone     TEXT,
    address       TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE consortia (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    coordinator_id TEXT NOT NULL REFERENCES organisations (id),
    created_at     TEXT NOT NULL
);

CREATE TABLE consortium_members (
    consortium_id INTEGER NOT NULL REFERENCES consortia (id),
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    joined_at     TEXT NOT NULL,
    PRIMARY KEY (consortium_id, org_id)
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    email                TEXT NOT NULL UNIQUE,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    created_at           TEXT NOT NULL
);

CREATE TABLE memberships (
    user_id INTEGER NOT NULL REFERENCES users (id),
    org_id  TEXT NOT NULL REFERENCES organisations (id),
    role    TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'buyer', 'evaluator', 'opener', 'supplier')),
    PRIMARY KEY (user_id, org_id, role)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE sign_in_attempts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    email     TEXT NOT NULL,
    address   TEXT NOT NULL,
    at        TEXT NOT NULL,
    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1))
);
CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email, at);
CREATE INDEX sign_in_attempts_by_address ON sign_in_attempts (address, at);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq > 0),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    org       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
