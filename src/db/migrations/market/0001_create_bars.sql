-- Bars (OHLCV) per instrument root and timeframe. See src/market-data/bars.repo.ts for the conventions:
-- instrument = contract root ('MNQ': Yahoo's MNQ=F is the continuous front month), time = Unix seconds (UTC) of
-- the bar's open, prices as the provider or file gave them, volume in contracts, source = where the bar came from.
-- WITHOUT ROWID: the primary key is the table's b-tree, so a range read for one instrument and timeframe is one
-- contiguous index walk and a bulk upsert writes each row once.
CREATE TABLE bars (
  instrument TEXT NOT NULL,
  timeframe TEXT NOT NULL,
  time INTEGER NOT NULL,
  open REAL NOT NULL,
  high REAL NOT NULL,
  low REAL NOT NULL,
  close REAL NOT NULL,
  volume INTEGER NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (instrument, timeframe, time)
) STRICT, WITHOUT ROWID;
