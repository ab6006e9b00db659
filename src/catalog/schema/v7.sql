-- v7: a CRM's picklist values mapped to reason codes, once, for every later import
-- ("Price" -> PRICE.TOO_HIGH). Keyed by the value lower-cased and trimmed.
CREATE TABLE reason_value_map (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,              -- as first given
    code       TEXT NOT NULL REFERENCES reasons(code),
    updated_at TEXT NOT NULL
) STRICT;
