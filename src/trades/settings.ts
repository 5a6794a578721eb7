import * as z from 'zod';
import { isValidZone } from '../calendar/zone.js';
import type { SettingsRepo } from '../settings/settings.repo.js';

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
