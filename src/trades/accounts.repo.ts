import type { Db } from '../db/open.js';

/**
 * The account registry (`accounts`, `account_aliases`; journal migration 0005). An account is what positions and
 * statistics group by. Executions and orders keep the account as their file spells it; each spelling is an alias
 * of one account. A spelling without an alias row is an account of its own name: `ensure` records it (the first
 * time it is seen, or when the registry is listed), as an alias of the account of that exact name when there is
 * one (the same account seen from a second platform), else of a new account.
 *
 * Write methods run inside the caller's `db.write()`.
 */
export interface AccountRecord {
  id: number;
  name: string;
  platform: string | null;
  firm: string | null;
  currency: string;
  /** Every spelling mapped to it, the account's own name among them when a source used it; sorted. */
  aliases: string[];
}

export interface AccountFields {
  platform?: string | null;
  firm?: string | null;
  currency?: string;
}

type Row = Omit<AccountRecord, 'aliases'> & { aliases: string | null };

const SELECT = `SELECT a.id, a.name, a.platform, a.firm, a.currency,
  (SELECT group_concat(alias, char(31)) FROM (SELECT alias FROM account_aliases l WHERE l.account_id = a.id ORDER BY alias)) AS aliases
  FROM accounts a`;

function toRecord(r: Row): AccountRecord {
  return { ...r, aliases: r.aliases ? r.aliases.split('\u001f') : [] };
}

export function createAccountsRepo(db: Db) {
  const c = db.conn;
  const byName = c.prepare(`${SELECT} WHERE a.name = ?`);
  const byId = c.prepare(`${SELECT} WHERE a.id = ?`);
  const all = c.prepare(`${SELECT} ORDER BY a.name`);
  const accountOfAlias = c.prepare(
    'SELECT a.id, a.name, a.firm FROM account_aliases l JOIN accounts a ON a.id = l.account_id WHERE l.alias = ?',
  );
  const idOfName = c.prepare('SELECT id FROM accounts WHERE name = ?').pluck();
  const insertAccount = c.prepare('INSERT INTO accounts (name) VALUES (?)');
  const insertAlias = c.prepare('INSERT INTO account_aliases (alias, account_id) VALUES (?, ?)');
  const moveAlias = c.prepare('UPDATE account_aliases SET account_id = ? WHERE alias = ?');
  const aliasesOf = c.prepare('SELECT alias FROM account_aliases WHERE account_id = ? ORDER BY alias').pluck();
  const moveAliases = c.prepare('UPDATE account_aliases SET account_id = ? WHERE account_id = ?');
  const deleteAccount = c.prepare('DELETE FROM accounts WHERE id = ?');
  const rename = c.prepare('UPDATE accounts SET name = ? WHERE id = ?');
  const update = c.prepare('UPDATE accounts SET platform = ?, firm = ?, currency = ? WHERE id = ?');
  const spellingsSeen = c.prepare(
    `SELECT account FROM (SELECT DISTINCT account FROM executions UNION SELECT DISTINCT account FROM orders) s
     WHERE NOT EXISTS (SELECT 1 FROM account_aliases l WHERE l.alias = s.account)`,
  );
  const idsOfFirm = c.prepare('SELECT id FROM accounts WHERE firm = ?').pluck();
  const hasAlias = c.prepare('SELECT 1 FROM account_aliases WHERE alias = ?').pluck();

  const repo = {
    /** Record spellings not seen before (see above). Returns how many were new. */
    ensure(spellings: Iterable<string>): number {
      let added = 0;
      for (const s of spellings) {
        if (hasAlias.get(s) === 1) continue;
        let id = idOfName.get(s) as number | undefined;
        id ??= Number(insertAccount.run(s).lastInsertRowid);
        insertAlias.run(s, id);
        added++;
      }
      return added;
    },

    /** Every spelling in executions and orders without an alias row, recorded. */
    ensureAll(): number {
      return repo.ensure((spellingsSeen.raw().all() as [string][]).map((r) => r[0]));
    },

    list(): AccountRecord[] {
      return (all.all() as Row[]).map(toRecord);
    },

    get(name: string): AccountRecord | undefined {
      const r = byName.get(name) as Row | undefined;
      return r && toRecord(r);
    },

    getById(id: number): AccountRecord | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toRecord(r);
    },

    /** The account a spelling belongs to, if it has been recorded. */
    ofSpelling(spelling: string): { id: number; name: string; firm: string | null } | undefined {
      return accountOfAlias.get(spelling) as { id: number; name: string; firm: string | null } | undefined;
    },

    /** The name positions group a spelling under: its account's, or the spelling itself when not yet recorded. */
    nameOf(spelling: string): string {
      return repo.ofSpelling(spelling)?.name ?? spelling;
    },

    /** The spellings whose executions make up an account's positions (the name itself when it has none). */
    spellingsOf(name: string): string[] {
      const id = idOfName.get(name) as number | undefined;
      if (id === undefined) return [name];
      const spellings = aliasesOf.all(id) as string[];
      return spellings.length > 0 ? spellings : [name];
    },

    /** True when a spelling is its account's only one and names it (its book is the registry's book as it is). */
    standsAlone(spelling: string): boolean {
      return repo.nameOf(spelling) === spelling && repo.spellingsOf(spelling).every((s) => s === spelling);
    },

    create(name: string): number {
      return Number(insertAccount.run(name).lastInsertRowid);
    },

    /** Map `alias` to account `id` (recorded or not before). */
    setAlias(alias: string, id: number): void {
      if (hasAlias.get(alias) === 1) moveAlias.run(id, alias);
      else insertAlias.run(alias, id);
    },

    /** Move every alias of account `from` to `to` and delete `from` (its fee schedules are moved by the caller). */
    merge(from: number, to: number): void {
      moveAliases.run(to, from);
      deleteAccount.run(from);
    },

    remove(id: number): void {
      deleteAccount.run(id);
    },

    aliasCount(id: number): number {
      return (aliasesOf.all(id) as string[]).length;
    },

    rename(id: number, name: string): void {
      rename.run(name, id);
    },

    update(id: number, fields: Required<AccountFields>): void {
      update.run(fields.platform, fields.firm, fields.currency, id);
    },

    idsOfFirm(firm: string): number[] {
      return idsOfFirm.all(firm) as number[];
    },
  };
  return repo;
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
