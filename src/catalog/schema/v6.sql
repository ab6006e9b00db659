-- v6: influence's fallback (a deal with no opens tied to it takes its rep's opens
-- before the close) must see only opens tied to no deal, since an open tied to a
-- deal counts for that deal only. The open days become those of untied opens.
DROP TRIGGER events_open_days;
DELETE FROM open_days;
INSERT OR IGNORE INTO rep_numbers (rep)
SELECT DISTINCT rep FROM events WHERE kind IN ('open', 'preview') AND asset_id IS NOT NULL;
INSERT OR IGNORE INTO asset_numbers (asset_id)
SELECT DISTINCT asset_id FROM events WHERE kind IN ('open', 'preview') AND asset_id IS NOT NULL;
INSERT OR IGNORE INTO open_days (day, rep, asset)
SELECT CAST(julianday(substr(e.at, 1, 10)) - 1721424.5 AS INTEGER), r.no, a.no
FROM events e
JOIN rep_numbers r ON r.rep = e.rep
JOIN asset_numbers a ON a.asset_id = e.asset_id
WHERE e.kind IN ('open', 'preview') AND e.deal_id IS NULL AND julianday(substr(e.at, 1, 10)) IS NOT NULL;

CREATE TRIGGER events_open_days AFTER INSERT ON events
WHEN NEW.kind IN ('open', 'preview') AND NEW.asset_id IS NOT NULL AND NEW.deal_id IS NULL
BEGIN
    INSERT OR IGNORE INTO rep_numbers (rep) VALUES (NEW.rep);
    INSERT OR IGNORE INTO asset_numbers (asset_id) VALUES (NEW.asset_id);
    INSERT OR IGNORE INTO open_days (day, rep, asset) VALUES (
        CAST(julianday(substr(NEW.at, 1, 10)) - 1721424.5 AS INTEGER),
        (SELECT no FROM rep_numbers WHERE rep = NEW.rep),
        (SELECT no FROM asset_numbers WHERE asset_id = NEW.asset_id)
    );
END;
