-- Tags are one tag whatever their case: "Breakout" and "breakout" are the same tag. From here on the column
-- compares without case (COLLATE NOCASE, which folds A–Z, as SQLite's lower() does), so the primary key, the
-- tag filter and the tag list all see one tag. Tags stored before that differ only in case become one, spelled
-- as it was first used (the earliest created_at; on a tie the first in binary order), on every position that had
-- any of its spellings.
CREATE TABLE position_tags_merged (
  position_id INTEGER NOT NULL REFERENCES position_ids (id),
  tag TEXT NOT NULL COLLATE NOCASE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (position_id, tag)
) STRICT, WITHOUT ROWID;

INSERT INTO position_tags_merged (position_id, tag, created_at)
WITH spelling AS (
  SELECT folded, tag
  FROM (
    SELECT lower(tag) AS folded, tag, row_number() OVER (PARTITION BY lower(tag) ORDER BY created_at, tag) AS n
    FROM position_tags
  )
  WHERE n = 1
)
SELECT t.position_id, s.tag, min(t.created_at)
FROM position_tags t
JOIN spelling s ON s.folded = lower(t.tag)
GROUP BY t.position_id, s.folded;

DROP TABLE position_tags;
ALTER TABLE position_tags_merged RENAME TO position_tags;
CREATE INDEX position_tags_tag ON position_tags (tag);
