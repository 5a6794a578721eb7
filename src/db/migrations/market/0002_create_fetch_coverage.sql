-- What the downloader has already asked the provider for, so a rerun asks only for what is missing: ranges of
-- Unix seconds [start, end) the provider answered successfully and whose bars are final (a range with no bars,
-- such as a holiday the calendar does not know, is still covered), and per instrument and timeframe when the last
-- fetch that reached the present happened and up to when its bars were final.
CREATE TABLE fetch_coverage (
  instrument TEXT NOT NULL,
  timeframe TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL CHECK (end > start),
  PRIMARY KEY (instrument, timeframe, start)
) STRICT, WITHOUT ROWID;

CREATE TABLE fetch_state (
  instrument TEXT NOT NULL,
  timeframe TEXT NOT NULL,
  last_fetch_at INTEGER NOT NULL,
  final_until INTEGER NOT NULL,
  PRIMARY KEY (instrument, timeframe)
) STRICT, WITHOUT ROWID;
