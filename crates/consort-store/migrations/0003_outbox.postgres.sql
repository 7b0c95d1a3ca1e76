-- The email outbox: a message is written here in the same transaction as the
-- change it reports, and a background worker claims, sends and marks it.
-- Times are UTC text in the fixed format of 0001, so that text order is time
-- order and "due" is a text comparison.

CREATE TABLE email_outbox (
    id              BIGSERIAL PRIMARY KEY,
    created_at      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (length(trim(kind)) > 0),
    to_address      TEXT NOT NULL CHECK (length(trim(to_address)) > 0),
    subject         TEXT NOT NULL CHECK (length(trim(subject)) > 0),
    body_text       TEXT NOT NULL,
    body_html       TEXT,
    dedupe_key      TEXT NOT NULL UNIQUE CHECK (length(trim(dedupe_key)) > 0),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    claimed_until   TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    CHECK ((claimed_by IS NULL) = (claimed_until IS NULL) OR status <> 'pending'),
    CHECK ((sent_at IS NOT NULL) = (status = 'sent'))
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_by_address ON email_outbox (to_address);
