import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';
import type { Validity } from './positions.js';

/**
 * The trader's own data on positions: a note, tags, a reviewed flag and a valid/invalid verdict. Keyed by the
 * stable position id (position_ids), so it survives every rebuild. Each method is one transaction (nested in the
 * caller's when there is one).
 */
export interface JournalEntry {
  positionId: number;
  note: string | null;
  noteUpdatedAt: number | null;
  tags: string[];
  reviewed: boolean;
  /** The trader's verdict; null when not given. */
  validity: Validity | null;
}

export const MAX_NOTE_LENGTH = 100_000;
export const MAX_TAG_LENGTH = 64;

/**
 * Tags compare without case: "Breakout" and "breakout" are one tag, spelled as it was first used. The column is
 * COLLATE NOCASE (journal migration 0003), which folds A–Z; this folds the same way for comparisons made here.
 */
export function tagKey(tag: string): string {
  return tag.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** The tags of a comma-separated list, normalised, without repeats (case-insensitive; the first spelling stays). */
export function parseTagList(text: string): string[] {
  const seen = new Map<string, string>();
  for (const raw of text.split(',')) {
    if (raw.trim() === '') continue;
    const tag = normaliseTag(raw);
    if (!seen.has(tagKey(tag))) seen.set(tagKey(tag), tag);
  }
  return [...seen.values()];
}

/** What the position page's journal form saves, in one transaction. */
export interface JournalUpdate {
  note: string;
  /** The position's tags after the save (others are removed). */
  tags: string[];
  reviewed: boolean;
  validity: Validity | null;
}

export function normaliseTag(raw: string): string {
  const tag = raw.trim().replace(/\s+/g, ' ');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (tag === '' || tag.length > MAX_TAG_LENGTH || /[\u0000-\u001f]/.test(tag)) {
    throw new AppError('TL_JOURNAL_BAD_INPUT', `"${raw}" is not a usable tag: it must be 1–${MAX_TAG_LENGTH} printable characters.`, {
      remedy: `Use a short tag such as "breakout" or "A+ setup" (at most ${MAX_TAG_LENGTH} characters).`,
      details: { tag: raw },
    });
  }
  return tag;
}

/** `clock` stamps each change (notes, tags, reviewed, verdicts). */
export function createJournalRepo(db: Db, clock: Clock = systemClock) {
  const c = db.conn;
  const exists = c.prepare('SELECT 1 FROM position_ids WHERE id = ?').pluck();
  const getNote = c.prepare('SELECT note, updated_at FROM position_notes WHERE position_id = ?');
  const putNote = c.prepare(
    'INSERT INTO position_notes (position_id, note, updated_at) VALUES (?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at',
  );
  const delNote = c.prepare('DELETE FROM position_notes WHERE position_id = ?');
  const getTags = c.prepare('SELECT tag FROM position_tags WHERE position_id = ? ORDER BY tag').pluck();
  const addTag = c.prepare('INSERT INTO position_tags (position_id, tag, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  // the spelling a tag already has anywhere in the journal (the column compares without case)
  const spellingOf = c.prepare('SELECT tag FROM position_tags WHERE tag = ? LIMIT 1').pluck();
  const delTag = c.prepare('DELETE FROM position_tags WHERE position_id = ? AND tag = ?');
  const getFlags = c.prepare('SELECT reviewed, validity FROM position_flags WHERE position_id = ?');
  const putReviewed = c.prepare(
    'INSERT INTO position_flags (position_id, reviewed, updated_at) VALUES (?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET reviewed = excluded.reviewed, updated_at = excluded.updated_at',
  );
  const putValidity = c.prepare(
    'INSERT INTO position_flags (position_id, validity, updated_at) VALUES (?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET validity = excluded.validity, updated_at = excluded.updated_at',
  );
  const allTags = c.prepare('SELECT tag, count(*) AS count FROM position_tags GROUP BY tag ORDER BY tag');

  const mustExist = (id: number) => {
    if (!Number.isSafeInteger(id) || exists.get(id) !== 1) {
      throw new AppError('TL_POSITION_NOT_FOUND', `There is no position ${id}.`, {
        remedy: 'List positions with "tradelog positions" (or open /positions) and use one of their ids.',
        details: { positionId: id },
      });
    }
  };

  const repo = {
    get(id: number): JournalEntry {
      mustExist(id);
      const note = getNote.get(id) as { note: string; updated_at: number } | undefined;
      const flags = getFlags.get(id) as { reviewed: number; validity: Validity | null } | undefined;
      return {
        positionId: id,
        note: note?.note ?? null,
        noteUpdatedAt: note?.updated_at ?? null,
        tags: getTags.all(id) as string[],
        reviewed: flags?.reviewed === 1,
        validity: flags?.validity ?? null,
      };
    },

    /** Set the note; an empty or blank note removes it. */
    setNote(id: number, text: string): JournalEntry {
      if (text.length > MAX_NOTE_LENGTH) {
        throw new AppError('TL_JOURNAL_BAD_INPUT', `The note has ${text.length} characters; at most ${MAX_NOTE_LENGTH} are kept.`, {
          remedy: 'Shorten the note.',
          details: { positionId: id },
        });
      }
      db.write(() => {
        mustExist(id);
        if (text.trim() === '') delNote.run(id);
        else putNote.run(id, text, clock.now());
      });
      return repo.get(id);
    },

    /** Append a paragraph unless the note already contains it (idempotent, for imports). */
    appendNote(id: number, text: string): void {
      db.write(() => {
        mustExist(id);
        const current = (getNote.get(id) as { note: string } | undefined)?.note;
        if (current?.includes(text)) return;
        putNote.run(id, current ? `${current}\n\n${text}` : text, clock.now());
      });
    },

    /** Add a tag; a tag that exists in another case keeps the spelling it has ("breakout" added to "Breakout"). */
    addTag(id: number, raw: string): JournalEntry {
      const tag = normaliseTag(raw);
      db.write(() => {
        mustExist(id);
        addTag.run(id, (spellingOf.get(tag) as string | undefined) ?? tag, clock.now());
      });
      return repo.get(id);
    },

    removeTag(id: number, raw: string): JournalEntry {
      const tag = raw.trim().replace(/\s+/g, ' ');
      db.write(() => {
        mustExist(id);
        delTag.run(id, tag);
      });
      return repo.get(id);
    },

    /** Note, tags, reviewed flag and verdict together: all saved or none (the tags are checked before anything is). */
    save(id: number, update: JournalUpdate): JournalEntry {
      const wanted = update.tags.map(normaliseTag);
      return db.write(() => {
        const current = repo.get(id);
        const keep = new Set(wanted.map(tagKey));
        for (const t of current.tags) if (!keep.has(tagKey(t))) repo.removeTag(id, t);
        const have = new Set(current.tags.map(tagKey));
        for (const t of wanted) if (!have.has(tagKey(t))) repo.addTag(id, t);
        repo.setNote(id, update.note);
        repo.setReviewed(id, update.reviewed);
        return repo.setValidity(id, update.validity);
      });
    },

    setReviewed(id: number, reviewed: boolean): JournalEntry {
      db.write(() => {
        mustExist(id);
        putReviewed.run(id, reviewed ? 1 : 0, clock.now());
      });
      return repo.get(id);
    },

    /** The reviewed flag of several positions in one transaction; an unknown id refuses them all. */
    setReviewedMany(ids: readonly number[], reviewed: boolean): number {
      const unique = [...new Set(ids)];
      db.write(() => {
        const now = clock.now();
        for (const id of unique) {
          mustExist(id);
          putReviewed.run(id, reviewed ? 1 : 0, now);
        }
      });
      return unique.length;
    },

    /** The trader's valid/invalid verdict; null clears it (the executions' TradeValidation then shows). */
    setValidity(id: number, validity: Validity | null): JournalEntry {
      if (validity !== null && validity !== 'valid' && validity !== 'invalid') {
        throw new AppError('TL_JOURNAL_BAD_INPUT', `"${String(validity)}" is not a verdict: use valid, invalid or none.`, {
          remedy: 'Send "valid", "invalid", or null to clear.',
        });
      }
      db.write(() => {
        mustExist(id);
        putValidity.run(id, validity, clock.now());
      });
      return repo.get(id);
    },

    allTags(): { tag: string; count: number }[] {
      return allTags.all() as { tag: string; count: number }[];
    },
  };
  return repo;
}

export type JournalRepo = ReturnType<typeof createJournalRepo>;
