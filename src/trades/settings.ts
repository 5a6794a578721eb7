import * as z from 'zod';
import { isValidZone } from '../calendar/zone.js';
import type { SettingsRepo } from '../settings/settings.repo.js';
import { type ColumnMapping, columnMappingSchema } from './importers/mapping.js';

/**
 * The trades area's settings:
 * - `import.timezone`: the zone NinjaTrader's wall-clock times are read in; when set it overrides
 *   TRADELOG_IMPORT_TIMEZONE.
 * - `display.timezone`: the zone times are shown in (every page, the CLI's text, the hour statistics, exports);
 *   TRADELOG_DISPLAY_TIMEZONE (or the CLI's `--tz`) overrides it, and without either it is the import zone in force.
 * `instruments.overrides` is read by src/instruments (loadInstrumentRegistry).
 */
export const IMPORT_TIMEZONE_KEY = 'import.timezone';
export const DISPLAY_TIMEZONE_KEY = 'display.timezone';

export const importTimezoneSchema = z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. America/Los_Angeles)' });
export const displayTimezoneSchema = z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. Asia/Tokyo, UTC)' });

export function importTimezone(settings: SettingsRepo, configured: string): string {
  return settings.get<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), null) ?? configured;
}

/** Where the display zone in force comes from. */
export type DisplayZoneSource = 'environment' | 'setting' | 'import zone';

export interface DisplayZone {
  zone: string;
  source: DisplayZoneSource;
}

/**
 * The display zone: `explicit` (TRADELOG_DISPLAY_TIMEZONE, or `--tz` on the command line) wins, then the
 * `display.timezone` setting, then the import zone in force.
 */
export function displayTimezone(settings: SettingsRepo, explicit: string | undefined, importZone: () => string): DisplayZone {
  if (explicit) return { zone: explicit, source: 'environment' };
  const stored = settings.get<string | null>(DISPLAY_TIMEZONE_KEY, displayTimezoneSchema.nullable(), null);
  if (stored) return { zone: stored, source: 'setting' };
  return { zone: importZone(), source: 'import zone' };
}

/** `import.dateOrder`: how a NinjaTrader file whose dates cannot tell day-first from month-first is read. */
export const IMPORT_DATE_ORDER_KEY = 'import.dateOrder';
export const dateOrderSchema = z.enum(['mdy', 'dmy']);

/** `import.zones`: per source format, the zone of its naive times (default: the import zone). */
export const IMPORT_ZONES_KEY = 'import.zones';
export const importZonesSchema = z.record(z.string().max(64), importTimezoneSchema);

/** `import.mappings`: the generic CSV's saved column mappings, matched by header signature or named by --mapping. */
export const IMPORT_MAPPINGS_KEY = 'import.mappings';
export const importMappingsSchema = z.array(columnMappingSchema).max(200);

export interface ImportSettings {
  dateOrder: 'mdy' | 'dmy' | null;
  zones: Record<string, string>;
  mappings: ColumnMapping[];
}

export function importSettings(settings: SettingsRepo): ImportSettings {
  return {
    dateOrder: settings.get(IMPORT_DATE_ORDER_KEY, dateOrderSchema.nullable(), null),
    zones: settings.get(IMPORT_ZONES_KEY, importZonesSchema, {}),
    mappings: settings.get(IMPORT_MAPPINGS_KEY, importMappingsSchema, []),
  };
}

/** Save a generic mapping (replacing one of the same name). */
export function saveMapping(settings: SettingsRepo, mapping: ColumnMapping): void {
  const all = settings.get(IMPORT_MAPPINGS_KEY, importMappingsSchema, []).filter((m) => m.name !== mapping.name);
  settings.set(IMPORT_MAPPINGS_KEY, importMappingsSchema, [...all, mapping]);
}
