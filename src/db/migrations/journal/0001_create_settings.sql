-- Settings the user changes in the web app or CLI (instrument overrides, import time zone, provider symbols,
-- scheduler). One row per key; value is JSON.
CREATE TABLE settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) STRICT;
