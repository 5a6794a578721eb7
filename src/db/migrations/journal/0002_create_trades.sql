-- Trades: the imports, the executions (fills) they added, the positions built from them, and the trader's notes,
-- tags and flags on positions. Times are UTC epoch milliseconds; money is integer cents; prices are as reported.

-- One row per import run of a file (NinjaTrader CSV or an old Futures Trading Log database), kept also when the
-- file was rejected, so the history shows every attempt. Undo removes exactly the executions of one import.
CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('ninjatrader', 'legacy')),
  file_name TEXT NOT NULL,
  file_path TEXT,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('imported', 'rejected', 'undone')),
  rows_read INTEGER NOT NULL,
  executions_added INTEGER NOT NULL,
  duplicates_skipped INTEGER NOT NULL,
  rows_rejected INTEGER NOT NULL,
  -- [{line, reason}] of rejected rows (the first 1000)
  problems TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(problems)),
  imported_at INTEGER NOT NULL,
  undone_at INTEGER
) STRICT;
CREATE INDEX imports_sha256 ON imports (sha256);

-- One row per fill. (account, exec_key) is the dedupe key across files and re-imports: exec_key is NinjaTrader's
-- execution id, or `h:<hash>:<n>` (content hash + occurrence in the file) for a row without one.
CREATE TABLE executions (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  exec_key TEXT NOT NULL,
  native_id INTEGER NOT NULL CHECK (native_id IN (0, 1)),
  instrument TEXT NOT NULL,
  contract TEXT NOT NULL,
  root TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('Buy', 'Sell', 'BuyToCover', 'SellShort')),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  price REAL NOT NULL,
  time INTEGER NOT NULL,
  commission_cents INTEGER NOT NULL,
  validation TEXT CHECK (validation IN ('valid', 'invalid')),
  order_id TEXT,
  import_id INTEGER NOT NULL REFERENCES imports (id),
  source_line INTEGER,
  UNIQUE (account, exec_key)
) STRICT;
-- (no index on import_id: only undo needs it, and a scan is cheaper than maintaining one on every import)
-- (the rowid ends every index entry, so this also serves ORDER BY time, id)
CREATE INDEX executions_book ON executions (account, contract, time);

-- Stable position ids: a position's key (account, contract, opening execution) maps to the same id across every
-- rebuild. Rows are never deleted, so notes, tags and flags keep their position even while it is absent (after an
-- undo) and find it again when it comes back.
CREATE TABLE position_ids (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE
);

-- Derived from executions; rebuilt per book (account, contract) after every change to its executions.
CREATE TABLE positions (
  id INTEGER PRIMARY KEY REFERENCES position_ids (id),
  account TEXT NOT NULL,
  contract TEXT NOT NULL,
  root TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('long', 'short')),
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  opened_at INTEGER NOT NULL,
  closed_at INTEGER,
  -- CME trading day (YYYY-MM-DD, rolls at 17:00 America/Chicago) of closed_at, or of opened_at while open
  trading_day TEXT NOT NULL,
  max_quantity INTEGER NOT NULL,
  open_quantity INTEGER NOT NULL,
  entry_quantity INTEGER NOT NULL,
  exit_quantity INTEGER NOT NULL,
  avg_entry_price REAL NOT NULL,
  avg_exit_price REAL,
  points_pnl REAL NOT NULL,
  gross_cents INTEGER NOT NULL,
  commission_cents INTEGER NOT NULL,
  net_cents INTEGER NOT NULL,
  point_value REAL NOT NULL,
  execution_count INTEGER NOT NULL,
  -- the run of the book's executions (ordered by time, id) that makes this position, and the share of the first
  -- one that belongs to it (less than the fill when a reversal opened it)
  first_exec_id INTEGER NOT NULL,
  last_exec_id INTEGER NOT NULL,
  first_exec_quantity INTEGER NOT NULL,
  first_exec_commission_cents INTEGER NOT NULL,
  -- aggregate of the executions' TradeValidation column
  exec_validity TEXT CHECK (exec_validity IN ('valid', 'invalid', 'mixed'))
) STRICT;
CREATE INDEX positions_book ON positions (account, contract, opened_at);
CREATE INDEX positions_opened ON positions (opened_at);
CREATE INDEX positions_trading_day ON positions (trading_day);

CREATE TABLE position_notes (
  position_id INTEGER PRIMARY KEY REFERENCES position_ids (id),
  note TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE position_tags (
  position_id INTEGER NOT NULL REFERENCES position_ids (id),
  tag TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (position_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX position_tags_tag ON position_tags (tag);

-- reviewed: the trader has looked at it; validity: the trader's own valid/invalid verdict (overrides the
-- executions' TradeValidation aggregate when set)
CREATE TABLE position_flags (
  position_id INTEGER PRIMARY KEY REFERENCES position_ids (id),
  reviewed INTEGER NOT NULL DEFAULT 0 CHECK (reviewed IN (0, 1)),
  validity TEXT CHECK (validity IN ('valid', 'invalid')),
  updated_at INTEGER NOT NULL
) STRICT;
