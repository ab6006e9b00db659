-- Deals still open: what a rep prepares for before a call. A CRM export of every
-- opportunity brings them (rows whose stage is not closed); a deal named in an open
-- is known too, from the events. A deal leaves this list when it is recorded closed.
CREATE TABLE open_deals (
    id         TEXT PRIMARY KEY,           -- the CRM's id
    name       TEXT,
    account    TEXT,
    rep        TEXT,
    stage      TEXT,                       -- as the CRM names it
    updated_at TEXT NOT NULL               -- RFC 3339: the import that last saw it
) STRICT;
