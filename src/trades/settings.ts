import * as z from 'zod';
import { isValidZone } from '../calendar/zone.js';
import type { SettingsRepo } from '../settings/settings.repo.js';

/**
 * The trades area's setting `import.timezone` (the zone NinjaTrader's wall-clock times are read in; when set it
 * overrides TRADELOG_IMPORT_TIMEZONE). `instruments.overrides` is read by src/instruments (loadInstrumentRegistry).
 */
export const IMPORT_TIMEZONE_KEY = 'import.timezone';

export const importTimezoneSchema = z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. America/Los_Angeles)' });

export function importTimezone(settings: SettingsRepo, configured: string): string {
  return settings.get<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), null) ?? configured;
}
