-- v1: library roots, assets with versions and locations, extracted text, problems.
-- Shipped migrations are never edited; add v2.sql instead.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE library_roots (
    path     TEXT PRIMARY KEY,
    added_at TEXT NOT NULL
) STRICT;

-- An asset is a piece of collateral, whatever its file is called or where it lives.
CREATE TABLE assets (
    id              TEXT PRIMARY KEY,      -- UUIDv7
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('present', 'missing')),
    current_version INTEGER,               -- versions.id of the newest content
    indexed_version INTEGER,               -- versions.id whose text the search index holds
    index_stale     INTEGER NOT NULL DEFAULT 0, -- fields or paths changed since indexed
    title           TEXT,
    author          TEXT,
    format          TEXT,
    doc_created     TEXT,
    doc_modified    TEXT,
    page_count      INTEGER,
    byte_size       INTEGER,
    has_text        INTEGER NOT NULL DEFAULT 1,
    -- catalog fields marketing sets
    product     TEXT,
    persona     TEXT,
    stage       TEXT,
    industry    TEXT,
    owner       TEXT,
    expires_on  TEXT,                      -- YYYY-MM-DD
    tags        TEXT NOT NULL DEFAULT '[]', -- JSON array, set by people
    addresses   TEXT NOT NULL DEFAULT '[]'  -- JSON array of reason codes
) STRICT;

CREATE TABLE versions (
    id         INTEGER PRIMARY KEY,
    asset_id   TEXT NOT NULL REFERENCES assets(id),
    hash       TEXT NOT NULL,              -- blake3 of the bytes
    byte_size  INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    UNIQUE (asset_id, hash)
) STRICT;
CREATE INDEX versions_by_hash ON versions(hash);

-- Where an asset's files are (or were). Two paths with the same bytes are two
-- locations of one asset.
CREATE TABLE locations (
    path       TEXT PRIMARY KEY,
    root       TEXT NOT NULL,
    asset_id   TEXT NOT NULL REFERENCES assets(id),
    version_id INTEGER NOT NULL REFERENCES versions(id),
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('present', 'missing')),
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;
CREATE INDEX locations_by_asset ON locations(asset_id);

CREATE TABLE path_history (
    id       INTEGER PRIMARY KEY,
    asset_id TEXT NOT NULL REFERENCES assets(id),
    path     TEXT NOT NULL,
    event    TEXT NOT NULL CHECK (event IN ('added', 'moved', 'copied', 'changed', 'missing', 'returned')),
    at       TEXT NOT NULL
) STRICT;
CREATE INDEX path_history_by_asset ON path_history(asset_id);

-- Extracted text of a version: one row per page, slide or sheet.
CREATE TABLE sections (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    number     INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('page', 'slide', 'sheet', 'body')),
    name       TEXT,
    text       TEXT NOT NULL,
    PRIMARY KEY (version_id, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE problems (
    path     TEXT PRIMARY KEY,
    root     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    message  TEXT NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    at       TEXT NOT NULL
) STRICT;
