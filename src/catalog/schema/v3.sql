-- The influence report reads every rep's open days in its window: 250k rows at 1M
-- events, whose text keys (day, asset id, rep name) made reading them most of the
-- report's time. These are the same days keyed by numbers, kept by trigger in the
-- transaction of each event, like the other rollups.
CREATE TABLE rep_numbers (
    no  INTEGER PRIMARY KEY,
    rep TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE asset_numbers (
    no       INTEGER PRIMARY KEY,
    asset_id TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE open_days (
    day   INTEGER NOT NULL,                -- days since the common era: 0001-01-01 is 1
    rep   INTEGER NOT NULL REFERENCES rep_numbers (no),
    asset INTEGER NOT NULL REFERENCES asset_numbers (no),
    PRIMARY KEY (day, rep, asset)
) STRICT, WITHOUT ROWID;

INSERT INTO rep_numbers (rep) SELECT DISTINCT rep FROM usage_daily ORDER BY rep;
INSERT INTO asset_numbers (asset_id) SELECT DISTINCT asset_id FROM usage_daily ORDER BY asset_id;
INSERT INTO open_days (day, rep, asset)
SELECT CAST(julianday(u.day) - 1721424.5 AS INTEGER), r.no, a.no
FROM usage_daily u
JOIN rep_numbers r ON r.rep = u.rep
JOIN asset_numbers a ON a.asset_id = u.asset_id
WHERE julianday(u.day) IS NOT NULL;

CREATE TRIGGER events_open_days AFTER INSERT ON events
WHEN NEW.kind IN ('open', 'preview') AND NEW.asset_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO rep_numbers (rep) VALUES (NEW.rep);
    INSERT OR IGNORE INTO asset_numbers (asset_id) VALUES (NEW.asset_id);
    INSERT OR IGNORE INTO open_days (day, rep, asset) VALUES (
        CAST(julianday(substr(NEW.at, 1, 10)) - 1721424.5 AS INTEGER),
        (SELECT no FROM rep_numbers WHERE rep = NEW.rep),
        (SELECT no FROM asset_numbers WHERE asset_id = NEW.asset_id)
    );
END;
