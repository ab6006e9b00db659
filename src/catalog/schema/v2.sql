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
    result_count    INTEGER,               -- search
    opened          INTEGER NOT NULL DEFAULT 0 -- search: an open followed it
) STRICT;
-- Covering indexes for the reports: a time window of one kind of event, one asset's
-- opens over time, the opens that followed one search.
CREATE INDEX events_by_kind_at ON events(kind, at, asset_id, rep, deal_id);
CREATE INDEX events_by_asset ON events(asset_id, at, rep);
CREATE INDEX events_by_query ON events(query_id);
CREATE INDEX events_by_deal ON events(deal_id, asset_id) WHERE deal_id IS NOT NULL;

-- Daily rollups for the reports, kept current by triggers in the same transaction as
-- the event, so they are never stale and reports don't scan every event.
CREATE TABLE usage_daily (
    day      TEXT NOT NULL,                -- YYYY-MM-DD (UTC)
    asset_id TEXT NOT NULL,
    rep      TEXT NOT NULL,
    opens    INTEGER NOT NULL,
    PRIMARY KEY (day, asset_id, rep)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_by_asset ON usage_daily(asset_id, day);
CREATE INDEX usage_by_rep ON usage_daily(rep, asset_id, day);

-- All-time usage per asset: "never opened" and "last opened" without a scan.
CREATE TABLE asset_usage (
    asset_id TEXT PRIMARY KEY,
    opens    INTEGER NOT NULL,
    last_day TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE search_daily (
    day          TEXT NOT NULL,
    query        TEXT NOT NULL,            -- lower-cased, trimmed
    rep          TEXT NOT NULL,
    searches     INTEGER NOT NULL,
    zero_results INTEGER NOT NULL,
    opened       INTEGER NOT NULL,         -- searches followed by an open
    PRIMARY KEY (day, query, rep)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER events_usage AFTER INSERT ON events
WHEN NEW.kind IN ('open', 'preview') AND NEW.asset_id IS NOT NULL
BEGIN
    INSERT INTO usage_daily (day, asset_id, rep, opens)
    VALUES (substr(NEW.at, 1, 10), NEW.asset_id, NEW.rep, 1)
    ON CONFLICT (day, asset_id, rep) DO UPDATE SET opens = opens + 1;
    INSERT INTO asset_usage (asset_id, opens, last_day)
    VALUES (NEW.asset_id, 1, substr(NEW.at, 1, 10))
    ON CONFLICT (asset_id) DO UPDATE SET opens = opens + 1, last_day = max(last_day, excluded.last_day);
END;

-- The first open that follows a search marks it (and its day's rollup) as opened.
-- Scalar lookups keep this on primary keys.
CREATE TRIGGER events_click_through AFTER INSERT ON events
WHEN NEW.kind IN ('open', 'preview') AND NEW.query_id IS NOT NULL
BEGIN
    UPDATE search_daily SET opened = opened + 1
    WHERE day = (SELECT substr(at, 1, 10) FROM events WHERE id = NEW.query_id AND kind = 'search' AND opened = 0)
      AND query = (SELECT lower(trim(query)) FROM events WHERE id = NEW.query_id)
      AND rep = (SELECT rep FROM events WHERE id = NEW.query_id);
    UPDATE events SET opened = 1 WHERE id = NEW.query_id AND kind = 'search' AND opened = 0;
END;

CREATE TRIGGER events_search AFTER INSERT ON events
WHEN NEW.kind = 'search'
BEGIN
    INSERT INTO search_daily (day, query, rep, searches, zero_results, opened)
    VALUES (substr(NEW.at, 1, 10), lower(trim(NEW.query)), NEW.rep, 1, NEW.result_count = 0, 0)
    ON CONFLICT (day, query, rep) DO UPDATE SET searches = searches + 1,
        zero_results = zero_results + (NEW.result_count = 0);
END;

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
-- Covering for the deal reports, which read a window of close dates.
CREATE INDEX deals_by_close ON deals(close_date, id, outcome, rep, stage, competitor, industry, size, region);

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
