-- v2: capture. Events (opens, previews, searches), the reason taxonomy, closed deals
-- with coded reasons, and the deal audit trail.

CREATE TABLE events (
    id              TEXT PRIMARY KEY,      -- UUIDv7
    kind            TEXT NOT NULL CHECK (kind IN ('open', 'preview', 'search')),
    at              TEXT NOT NULL,         -- RFC 3339, UTC
    rep             TEXT NOT NULL,
    surface         TEXT NOT NULL,         -- cli, app, import
    asset_id        TEXT,                  -- open/preview
    asset_hash      TEXT,                  -- the version opened (blake3)
    path            TEXT,
    location_kind   TEXT,                  -- page, slide, sheet
    location_number INTEGER,
    query_id        TEXT,                  -- open/preview: the search it came from
    deal_id         TEXT,
    query           TEXT,                  -- search
    filters         TEXT,                  -- search: JSON object
    result_count    INTEGER                -- search
) STRICT;
CREATE INDEX events_by_kind_at ON events(kind, at);
CREATE INDEX events_by_asset ON events(asset_id, at);
CREATE INDEX events_by_query ON events(query_id);

CREATE TABLE reasons (
    code        TEXT PRIMARY KEY,          -- e.g. PRICE.TOO_HIGH
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('buy', 'objection', 'any')),
    category    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    keywords    TEXT NOT NULL DEFAULT '[]', -- JSON array: words collateral uses for it
    low_quality INTEGER NOT NULL DEFAULT 0, -- Other/Unknown
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    merged_into TEXT REFERENCES reasons(code)
) STRICT;

-- Every taxonomy change, numbered: the taxonomy's version is the highest number.
CREATE TABLE taxonomy_changes (
    version INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    rep     TEXT NOT NULL,
    action  TEXT NOT NULL,
    code    TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE deals (
    id         TEXT PRIMARY KEY,           -- the CRM's id where there is one
    name       TEXT,
    account    TEXT,
    rep        TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('won', 'lost', 'no-decision')),
    close_date TEXT NOT NULL,              -- YYYY-MM-DD
    amount     REAL,
    currency   TEXT,
    competitor TEXT,
    stage      TEXT,
    industry   TEXT,
    size       TEXT,
    region     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX deals_by_close ON deals(close_date);

-- Rank 0 is the primary reason; 1.. are the ranked secondary reasons.
CREATE TABLE deal_reasons (
    deal_id TEXT NOT NULL REFERENCES deals(id),
    rank    INTEGER NOT NULL,
    code    TEXT NOT NULL REFERENCES reasons(code),
    note    TEXT,
    PRIMARY KEY (deal_id, rank)
) STRICT;
CREATE INDEX deal_reasons_by_code ON deal_reasons(code);

CREATE TABLE deal_audit (
    id      INTEGER PRIMARY KEY,
    deal_id TEXT NOT NULL,
    at      TEXT NOT NULL,
    rep     TEXT NOT NULL,
    field   TEXT NOT NULL,
    old     TEXT,
    new     TEXT
) STRICT;
CREATE INDEX deal_audit_by_deal ON deal_audit(deal_id);
