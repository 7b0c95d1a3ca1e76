-- The contracts register, the log of extensions exercised, and the coordinator's
-- decisions on which contracts are comparable. Dates are YYYY-MM-DD text.

CREATE TABLE contracts (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    authority_id            TEXT NOT NULL REFERENCES organisations (id),
    reference               TEXT NOT NULL CHECK (length(trim(reference)) > 0),
    title                   TEXT NOT NULL CHECK (length(trim(title)) > 0),
    description             TEXT NOT NULL DEFAULT '',
    supplier_name           TEXT,
    supplier_company_number TEXT,
    cpv_codes               TEXT NOT NULL DEFAULT '',
    category                TEXT,
    total_value_pence       BIGINT CHECK (total_value_pence >= 0),
    annual_value_pence      BIGINT CHECK (annual_value_pence >= 0),
    start_date              TEXT,
    end_date                TEXT,
    break_date              TEXT,
    extensions              TEXT NOT NULL DEFAULT '[]',
    notice_period           TEXT,
    status                  TEXT NOT NULL CHECK (status IN ('active', 'ended', 'terminated')),
    source                  TEXT NOT NULL,
    extra                   TEXT NOT NULL DEFAULT '{}',
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
    UNIQUE (authority_id, reference)
);
CREATE INDEX contracts_by_end_date ON contracts (end_date);
CREATE INDEX contracts_by_category ON contracts (category);

CREATE TABLE contract_extensions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id  INTEGER NOT NULL REFERENCES contracts (id),
    exercised_on TEXT NOT NULL,
    span         TEXT NOT NULL,
    old_end_date TEXT NOT NULL,
    new_end_date TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX contract_extensions_by_contract ON contract_extensions (contract_id);

CREATE TABLE category_decisions (
    key_kind   TEXT NOT NULL CHECK (key_kind IN ('cpv', 'text')),
    key_value  TEXT NOT NULL,
    label      TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (key_kind, key_value)
);
