import * as z from 'zod';
import { isValidZone } from '../calendar/zone.js';
import type { SettingsRepo } from '../settings/settings.repo.js';
import { type ColumnMapping, columnMappingSchema } from './importers/mapping.js';

/**
 * The trades area's setting `import.timezone` (the zone NinjaTrader's wall-clock times are read in; when set it
 * overrides TRADELOG_IMPORT_TIMEZONE). `instruments.overrides` is read by src/instruments (loadInstrumentRegistry).
 */
export const IMPORT_TIMEZONE_KEY = 'import.timezone';

export const importTimezoneSchema = z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. America/Los_Angeles)' });

export function importTimezone(settings: SettingsRepo, configured: string): string {
  return settings.get<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), null) ?? configured;
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
