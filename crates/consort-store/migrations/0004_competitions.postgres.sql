-- Competitions: the aggregate as a JSON snapshot with its event history, the sealed
-- bid vault (opener keys, sealed key shares, sealed bids, opening approvals),
-- supplier drafts, competition documents and the OCDS releases each public stage
-- produced. Instants are RFC 3339 UTC text with microseconds, so they sort as text.

CREATE TABLE competitions (
    id             BIGSERIAL PRIMARY KEY,
    reference      TEXT NOT NULL UNIQUE,
    buyer_org      TEXT NOT NULL REFERENCES organisations (id),
    consortium_id  BIGINT REFERENCES consortia (id),
    title          TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_reason  TEXT,
    eligibility    TEXT NOT NULL CHECK (eligibility IN ('open', 'invited')),
    state          TEXT NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 0),
    deadline       TEXT,
    next_due       TEXT,
    reminder_due   TEXT,
    published_at   TEXT,
    seal_recipient TEXT,
    opened_key     TEXT,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX competitions_by_buyer ON competitions (buyer_org);
CREATE INDEX competitions_by_status ON competitions (status);
CREATE INDEX competitions_by_next_due ON competitions (next_due);
CREATE INDEX competitions_by_reminder_due ON competitions (reminder_due);

-- Who a competition involves, mirrored from the snapshot for queries: its buyers
-- and invited suppliers (organisations), its evaluators and moderator (people).
CREATE TABLE competition_orgs (
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    org_id         TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('lead_buyer', 'joint_buyer', 'invited')),
    PRIMARY KEY (competition_id, org_id, role)
);
CREATE INDEX competition_orgs_by_org ON competition_orgs (org_id, role);

CREATE TABLE competition_people (
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    email          TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('evaluator', 'moderator')),
    PRIMARY KEY (competition_id, email, role)
);
CREATE INDEX competition_people_by_email ON competition_people (email);

CREATE TABLE competition_events (
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    seq            BIGINT NOT NULL CHECK (seq > 0),
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    PRIMARY KEY (competition_id, seq)
);

CREATE TABLE opener_keys (
    user_id         BIGINT PRIMARY KEY REFERENCES users (id),
    recipient       TEXT NOT NULL,
    locked_identity BYTEA NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE recovery_keys (
    org_id     TEXT PRIMARY KEY REFERENCES organisations (id),
    recipient  TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE seal_shares (
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    holder         TEXT NOT NULL,
    sealed_share   BYTEA NOT NULL,
    PRIMARY KEY (competition_id, holder)
);

CREATE TABLE opening_approvals (
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    user_id        BIGINT NOT NULL REFERENCES users (id),
    released_share BYTEA,
    approved_at    TEXT NOT NULL,
    PRIMARY KEY (competition_id, user_id)
);

CREATE TABLE bids (
    id              BIGSERIAL PRIMARY KEY,
    competition_id  BIGINT NOT NULL REFERENCES competitions (id),
    supplier_org    TEXT NOT NULL REFERENCES organisations (id),
    lot             TEXT,
    version         BIGINT NOT NULL CHECK (version > 0),
    idempotency_key TEXT NOT NULL,
    submitted_by    TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL CHECK (size_bytes >= 0),
    sealed          BYTEA NOT NULL,
    superseded      BIGINT NOT NULL DEFAULT 0 CHECK (superseded IN (0, 1)),
    UNIQUE (competition_id, supplier_org, idempotency_key)
);
CREATE INDEX bids_by_competition ON bids (competition_id, superseded);
-- A supplier's bid for a lot (or for a competition without lots: lot NULL) has
-- versions 1, 2, 3…; the latest is current and the others are superseded.
CREATE UNIQUE INDEX bids_version_per_lot ON bids (competition_id, supplier_org, (COALESCE(lot, '')), version);

CREATE TABLE bid_drafts (
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    supplier_org   TEXT NOT NULL REFERENCES organisations (id),
    sealed         BYTEA NOT NULL,
    saved_by       TEXT NOT NULL,
    saved_at       TEXT NOT NULL,
    PRIMARY KEY (competition_id, supplier_org)
);

CREATE TABLE competition_documents (
    id             BIGSERIAL PRIMARY KEY,
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    content_hash   TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL CHECK (size_bytes >= 0),
    uploaded_by    TEXT NOT NULL,
    uploaded_at    TEXT NOT NULL,
    UNIQUE (competition_id, content_hash)
);
CREATE INDEX competition_documents_by_competition ON competition_documents (competition_id);

CREATE TABLE ocds_releases (
    id             BIGSERIAL PRIMARY KEY,
    competition_id BIGINT NOT NULL REFERENCES competitions (id),
    ocid           TEXT NOT NULL,
    release_id     TEXT NOT NULL UNIQUE,
    tag            TEXT NOT NULL,
    released_at    TEXT NOT NULL,
    release        TEXT NOT NULL
);
CREATE INDEX ocds_releases_by_ocid ON ocds_releases (ocid);
