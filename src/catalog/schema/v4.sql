-- A search hit shows a snippet from the page that matched best, and a hit on a 3 MB
-- book needs a few kilobytes of it. Reading a text a piece at a time (SQLite's
-- incremental blob I/O) needs a rowid table; as WITHOUT ROWID every hit copied its
-- document's whole text out of the catalog. The copy runs once, in the first process
-- that opens an older catalog (others wait on its lock); the old table's pages stay in
-- the file as free pages, which later texts reuse.
CREATE TABLE sections_v4 (
    id         INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    number     INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('page', 'slide', 'sheet', 'body')),
    name       TEXT,
    text       TEXT NOT NULL,
    UNIQUE (version_id, number)
) STRICT;

INSERT INTO sections_v4 (version_id, number, kind, name, text)
SELECT version_id, number, kind, name, text FROM sections ORDER BY version_id, number;

DROP TABLE sections;
ALTER TABLE sections_v4 RENAME TO sections;
