-- Daily bars are labelled with their CME trading day: time = 00:00 UTC of that day (src/market-data/bars.repo.ts).
-- Before this, a daily bar kept the time its source stamped it with (the 17:00 CT session open the evening before
-- for Yahoo and the demo, midnight somewhere for files), so a chart showed it under the previous calendar day.
--
-- The trading day of a moment rolls at 17:00 America/Chicago, and Saturday and Sunday belong to Monday. In UTC that
-- is: date(time + 2 h) during US daylight-saving time (CDT, UTC-5), date(time + 1 h) otherwise (CST, UTC-6), then
-- Saturday → Monday, Sunday → Monday. Daylight-saving time in the US runs from the second Sunday of March 02:00
-- CST (08:00 UTC) to the first Sunday of November 02:00 CDT (07:00 UTC) since 2007, and from the first Sunday of
-- April to the last Sunday of October from 1987 to 2006 (Energy Policy Act of 2005; 15 U.S.C. 260a). Years before
-- 1987 use the 1987 rule; no futures bar of tradelog's is that old.
--
-- Bars of the same instrument that land on the same day keep one: the one already at that key, else the one
-- stamped latest.
CREATE TABLE daily_rekey AS
WITH stamped AS (
  SELECT instrument, timeframe, time, open, high, low, close, volume, source,
         CAST(strftime('%Y', time, 'unixepoch') AS INTEGER) AS yr
  FROM bars
  WHERE timeframe = '1d'
),
zoned AS (
  SELECT *,
         CASE
           WHEN yr >= 2007 THEN
             time >= CAST(strftime('%s', printf('%04d-03-01', yr), 'weekday 0', '+7 days') AS INTEGER) + 28800
             AND time < CAST(strftime('%s', printf('%04d-11-01', yr), 'weekday 0') AS INTEGER) + 25200
           ELSE
             time >= CAST(strftime('%s', printf('%04d-04-01', yr), 'weekday 0') AS INTEGER) + 28800
             AND time < CAST(strftime('%s', printf('%04d-10-25', yr), 'weekday 0') AS INTEGER) + 25200
         END AS summer
  FROM stamped
),
rolled AS (
  SELECT *, date(time + CASE WHEN summer THEN 7200 ELSE 3600 END, 'unixepoch') AS day
  FROM zoned
)
SELECT instrument, timeframe, open, high, low, close, volume, source, time AS old_time,
       CAST(strftime('%s', day, CASE strftime('%w', day) WHEN '6' THEN '+2 days' WHEN '0' THEN '+1 days' ELSE '+0 days' END)
            AS INTEGER) AS time
FROM rolled;

DELETE FROM bars WHERE timeframe = '1d';

INSERT INTO bars (instrument, timeframe, time, open, high, low, close, volume, source)
SELECT instrument, timeframe, time, open, high, low, close, volume, source
FROM daily_rekey
WHERE true
ORDER BY instrument, time, old_time = time DESC, old_time DESC
ON CONFLICT (instrument, timeframe, time) DO NOTHING;

DROP TABLE daily_rekey;
