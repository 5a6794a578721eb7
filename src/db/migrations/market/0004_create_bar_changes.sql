-- Where bars last changed, so a process that keeps bars in memory (the chart cache of `serve`) can tell which of
-- them are stale after another process or connection wrote: one row per instrument, timeframe and stretch of time
-- [start, end) that holds changed bars, with `gen`, a number that grows with every write that changes bars. A
-- reader remembers the highest `gen` it has seen and, when the database changed, reads the rows above it.
--
-- The stretches are the chart cache's chunks (src/market-data/bars.repo.ts `chunkStart`); `start` and `end` are
-- stored so that a reader never depends on how long a stretch was when the row was written. The table holds at most
-- one row per stretch that ever held a changed bar, so it stays about a thousandth of the size of `bars`.
CREATE TABLE bar_changes (
  instrument TEXT NOT NULL,
  timeframe TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL CHECK (end > start),
  gen INTEGER NOT NULL,
  PRIMARY KEY (instrument, timeframe, start)
) STRICT, WITHOUT ROWID;

CREATE INDEX bar_changes_by_gen ON bar_changes (gen);
