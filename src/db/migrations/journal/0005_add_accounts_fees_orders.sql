-- Accounts, fee schedules, orders and stops (issue 10 §6–8).

-- The account registry. An account is what positions and statistics group by; `account_aliases` maps every
-- spelling a source used (`TEST-ACCT-001!Rithmic!Rithmic` from NinjaTrader, `TEST-ACCT-001` from R|Trader) to
-- one account. Executions and orders keep the spelling of their file; a spelling with no alias row is an account
-- of that name (created the first time the registry is read).
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  -- where the account trades (Tradovate, Rithmic, NinjaTrader, …) and the prop firm or broker; free text
  platform TEXT,
  firm TEXT,
  currency TEXT NOT NULL DEFAULT 'USD'
) STRICT;

CREATE TABLE account_aliases (
  alias TEXT PRIMARY KEY NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts (id)
) STRICT, WITHOUT ROWID;
CREATE INDEX account_aliases_account ON account_aliases (account_id);

-- Every account spelling already in the journal becomes an account of its own name.
INSERT INTO accounts (name) SELECT DISTINCT account FROM executions ORDER BY account;
INSERT INTO account_aliases (alias, account_id) SELECT name, id FROM accounts;

-- Fee schedules: per-contract amounts in cents by cost kind, for one account or for every account of a firm, one
-- root ('*' = every root) and side ('both' = buys and sells), in force from a CME trading day (YYYY-MM-DD) until
-- the next schedule of the same scope, root and side. They fill in the costs of fills whose source stated none
-- (executions.costs_missing), never on top of costs a source gave.
CREATE TABLE fee_schedules (
  id INTEGER PRIMARY KEY,
  account_id INTEGER REFERENCES accounts (id),
  firm TEXT,
  root TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('buy', 'sell', 'both')),
  effective_from TEXT NOT NULL,
  commission INTEGER NOT NULL DEFAULT 0,
  exchange INTEGER NOT NULL DEFAULT 0,
  clearing INTEGER NOT NULL DEFAULT 0,
  nfa INTEGER NOT NULL DEFAULT 0,
  platform INTEGER NOT NULL DEFAULT 0,
  other INTEGER NOT NULL DEFAULT 0,
  CHECK ((account_id IS NULL) <> (firm IS NULL))
) STRICT;
CREATE UNIQUE INDEX fee_schedules_key ON fee_schedules (coalesce(account_id, 0), coalesce(firm, ''), root, side, effective_from);

-- Orders as their source states them (Tradovate Orders, Rithmic Completed Orders, TopstepX Orders, Sierra Chart).
-- (account, order_key) is the dedupe key: the source's order id within the account as the file spells it.
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  order_key TEXT NOT NULL,
  contract TEXT NOT NULL,
  root TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  type TEXT NOT NULL CHECK (type IN ('market', 'limit', 'stop', 'stop-limit', 'other')),
  type_text TEXT NOT NULL,
  limit_price REAL,
  stop_price REAL,
  status TEXT NOT NULL CHECK (status IN ('filled', 'partial', 'working', 'cancelled', 'rejected')),
  status_text TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  filled_quantity INTEGER NOT NULL,
  avg_fill_price REAL,
  placed_at INTEGER,
  filled_at INTEGER,
  cancelled_at INTEGER,
  -- the order this one belongs to (Sierra ParentInternalOrderID), as the source's order id
  parent_key TEXT,
  bracket INTEGER NOT NULL CHECK (bracket IN (0, 1)),
  -- the source says it is a protective stop (ProjectX StopLoss, a Sierra child stop that closes)
  protective INTEGER NOT NULL CHECK (protective IN (0, 1)),
  tag TEXT,
  format TEXT NOT NULL,
  import_id INTEGER NOT NULL REFERENCES imports (id),
  source_line INTEGER,
  UNIQUE (account, order_key)
) STRICT;
-- the stops of a book, for a position's initial stop
CREATE INDEX orders_stops ON orders (account, contract, placed_at) WHERE type IN ('stop', 'stop-limit');

-- Later prices of a stop order that was moved (Sierra Chart order events), in time order.
CREATE TABLE order_stop_moves (
  order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  stop_price REAL NOT NULL,
  PRIMARY KEY (order_id, at)
) STRICT, WITHOUT ROWID;

-- The trader's own stops on a position (keyed by the stable position id, like notes): the initial stop typed on
-- the position page (it wins over the one found in orders), and each move of the stop with its time.
CREATE TABLE position_stops (
  position_id INTEGER PRIMARY KEY REFERENCES position_ids (id),
  initial_stop REAL NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE position_stop_moves (
  id INTEGER PRIMARY KEY,
  position_id INTEGER NOT NULL REFERENCES position_ids (id),
  at INTEGER NOT NULL,
  stop_price REAL NOT NULL
) STRICT;
CREATE INDEX position_stop_moves_position ON position_stop_moves (position_id, at);
