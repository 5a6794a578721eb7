import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';
import { loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo } from '../settings/settings.repo.js';
import { type AccountFields, type AccountRecord, type AccountsRepo, createAccountsRepo } from './accounts.repo.js';
import { type Book, createExecutionsRepo } from './executions.repo.js';
import { createFeesRepo } from './fees.repo.js';
import { bookId, rebuildBooks, type TradesContext } from './rebuild.js';
import { importTimezone } from './settings.js';

/**
 * The account registry as the settings page and `tradelog accounts` use it (docs/accounts.md). Each change is one
 * transaction with the position rebuild it needs: an alias moves a spelling's executions into another account's
 * books (the positions keep their ids, notes and tags), a firm change re-applies the firm's fee schedules.
 */
export interface AccountJson {
  name: string;
  platform: string | null;
  firm: string | null;
  currency: string;
  aliases: string[];
}

export interface AccountSuggestion {
  /** A spelling that looks like another account's (NinjaTrader's `NAME!Connection!Firm`). */
  alias: string;
  account: string;
}

export interface AccountChange {
  account: AccountJson;
  positionsRebuilt: number;
}

export interface AccountsServiceDeps {
  journal: Db;
  importTimezone: string;
}

const MAX_NAME = 200;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function badInput(field: string, message: string, remedy: string): AppError {
  return new AppError('TL_ACCOUNT_BAD_INPUT', message, { remedy, details: { field } });
}

/** A name or spelling as typed: trimmed, 1–200 printable characters. */
export function accountText(field: string, raw: string): string {
  const t = raw.trim();
  if (t === '' || t.length > MAX_NAME || CONTROL.test(t)) {
    throw badInput(
      field,
      `"${raw}" is not usable as ${field}: it must be 1–${MAX_NAME} printable characters.`,
      `Give ${field} as it appears in your files, e.g. TEST-ACCT-001.`,
    );
  }
  return t;
}

function optionalText(field: string, raw: string | null | undefined): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  return raw.trim() === '' ? null : accountText(field, raw);
}

function currencyOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(t)) throw badInput('currency', `"${raw}" is not a currency: give its three-letter code.`, 'Use USD, EUR, GBP, ….');
  return t;
}

function json(a: AccountRecord): AccountJson {
  return { name: a.name, platform: a.platform, firm: a.firm, currency: a.currency, aliases: a.aliases };
}

function notFound(name: string): AppError {
  return new AppError('TL_ACCOUNT_NOT_FOUND', `There is no account "${name}".`, {
    remedy: 'List the accounts with "tradelog accounts list" (or Settings → Accounts) and use a name from it.',
    details: { account: name },
  });
}

/** NinjaTrader writes an account routed through a connection as `NAME!Connection!Firm`: the same account as `NAME`. */
export function suggestMerges(accounts: readonly AccountRecord[]): AccountSuggestion[] {
  const names = new Set(accounts.map((a) => a.name));
  const out: AccountSuggestion[] = [];
  for (const a of accounts) {
    const base = a.name.split('!')[0] ?? '';
    if (base !== a.name && base !== '' && names.has(base)) out.push({ alias: a.name, account: base });
  }
  return out;
}

export function createAccountsService(deps: AccountsServiceDeps) {
  const db = deps.journal;
  const repo: AccountsRepo = createAccountsRepo(db);
  const executions = createExecutionsRepo(db);
  const fees = createFeesRepo(db);
  const context = (): TradesContext => {
    const settings = createSettingsRepo(db);
    return { db, registry: loadInstrumentRegistry(settings), zone: importTimezone(settings, deps.importTimezone) };
  };

  /** The account a name or spelling denotes. */
  const resolve = (nameOrSpelling: string): AccountRecord => {
    const a =
      repo.get(nameOrSpelling) ??
      (() => {
        const s = repo.ofSpelling(nameOrSpelling);
        return s ? repo.getById(s.id) : undefined;
      })();
    if (!a) throw notFound(nameOrSpelling);
    return a;
  };

  /** Executions' books of these spellings. */
  const booksOf = (spellings: readonly string[]): Book[] => executions.allBooks().filter((b) => spellings.includes(b.account));

  const service = {
    /** Every account (spellings seen in executions and orders are recorded first), and suggested merges. */
    list(): { accounts: AccountJson[]; suggestions: AccountSuggestion[] } {
      const all = db.write(() => {
        repo.ensureAll();
        return repo.list();
      });
      return { accounts: all.map(json), suggestions: suggestMerges(all) };
    },

    get(name: string): AccountJson {
      return json(resolve(name));
    },

    /**
     * Make `spelling` a spelling of `target`'s account: its executions and orders count for that account from now
     * on. The account it belonged to is removed when it has no spelling left (its fee schedules move along).
     */
    alias(spellingRaw: string, targetRaw: string): AccountChange {
      const spelling = accountText('the alias', spellingRaw);
      const targetName = accountText('the account', targetRaw);
      return db.write(() => {
        repo.ensureAll();
        const target = resolve(targetName);
        const before = repo.ofSpelling(spelling);
        if (before?.id === target.id) return { account: json(target), positionsRebuilt: 0 };
        repo.setAlias(spelling, target.id);
        let formerName: string | undefined;
        if (before) {
          formerName = before.name;
          if (repo.aliasCount(before.id) === 0) {
            moveSchedules(before.id, target.id, before.name, target.name);
            repo.remove(before.id);
          }
        }
        const rebuilt = rebuildAfterMove(spelling, target.name, formerName);
        return { account: json(repo.getById(target.id) as AccountRecord), positionsRebuilt: rebuilt };
      });
    },

    /**
     * Set an account's platform, firm or currency, or rename it (`name`). An account not in the registry yet is
     * created (so a firm can be given before its first import).
     */
    set(nameRaw: string, fields: AccountFields & { name?: string }): AccountChange {
      const name = accountText('the account', nameRaw);
      const rename = fields.name === undefined ? undefined : accountText('the new name', fields.name);
      const platform = optionalText('the platform', fields.platform);
      const firm = optionalText('the firm', fields.firm);
      const currency = currencyOf(fields.currency);
      return db.write(() => {
        repo.ensureAll();
        let account = repo.get(name) ?? (repo.ofSpelling(name) ? resolve(name) : undefined);
        if (!account) {
          repo.create(name);
          account = repo.get(name) as AccountRecord;
        }
        repo.update(account.id, {
          platform: platform === undefined ? account.platform : platform,
          firm: firm === undefined ? account.firm : firm,
          currency: currency ?? account.currency,
        });
        let rebuilt = 0;
        const spellings = repo.spellingsOf(account.name);
        if (rename !== undefined && rename !== account.name) {
          if (repo.get(rename)) {
            throw new AppError('TL_ACCOUNT_CONFLICT', `There is already an account "${rename}".`, {
              remedy: `To make "${account.name}" part of "${rename}", alias it: tradelog accounts alias "${account.name}" "${rename}".`,
              details: { field: 'name', account: account.name, name: rename },
            });
          }
          repo.rename(account.id, rename);
          const books = booksOf(spellings);
          rebuilt = rebuildBooks(context(), books, { formerAccounts: formerMap(books, rename, [account.name]) });
        } else if (firm !== undefined && firm !== account.firm) {
          rebuilt = rebuildBooks(context(), booksOf(spellings));
        }
        return { account: json(repo.getById(account.id) as AccountRecord), positionsRebuilt: rebuilt };
      });
    },
  };

  function moveSchedules(from: number, to: number, fromName: string, toName: string): void {
    try {
      fees.moveAccount(from, to);
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        throw new AppError(
          'TL_ACCOUNT_CONFLICT',
          `"${fromName}" and "${toName}" both have a fee schedule for the same root, side and first day; nothing was changed.`,
          {
            remedy: 'Remove one of the two schedules (tradelog fees list, tradelog fees remove ID), then alias again.',
            details: { field: 'alias', from: fromName, to: toName },
          },
        );
      }
      throw err;
    }
  }

  /** Rebuild after `spelling` moved to `targetName` from `formerName`: the target's books first (they inherit). */
  function rebuildAfterMove(spelling: string, targetName: string, formerName: string | undefined): number {
    const ctx = context();
    const contracts = new Set(booksOf([spelling]).map((b) => b.contract));
    const targetBooks = booksOf(repo.spellingsOf(targetName)).filter((b) => contracts.has(b.contract));
    let n = rebuildBooks(ctx, targetBooks, formerName ? { formerAccounts: formerMap(targetBooks, targetName, [formerName]) } : {});
    if (formerName && repo.get(formerName)) {
      n += rebuildBooks(
        ctx,
        booksOf(repo.spellingsOf(formerName)).filter((b) => contracts.has(b.contract)),
      );
    }
    return n;
  }

  return service;
}

/** formerAccounts for the registry books of `books` under `name`. */
function formerMap(books: readonly Book[], name: string, former: string[]): Map<string, string[]> {
  return new Map(books.map((b) => [bookId({ account: name, contract: b.contract }), former]));
}

export type AccountsService = ReturnType<typeof createAccountsService>;
