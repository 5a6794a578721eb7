import { AppError } from '../../errors.js';
import type { DoctorReport, Finding } from './types.js';

/** The finding as an AppError (for `db.refuseWrites`, and for pages answering 503). */
export function findingError(f: Finding): AppError {
  return new AppError(f.code, f.message, { status: 503, remedy: f.remedy, ...(f.path ? { details: { path: f.path } } : {}) });
}

/** One line per finding, for the CLI and the log. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  const mode = report.journalMode ? `, journal mode ${report.journalMode}` : '';
  lines.push(`status: ${report.status}${mode} (${report.durationMs} ms, checks judged for uid ${report.identity.appUser.uid})`);
  for (const f of report.findings) {
    lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.code}: ${f.message}`);
    lines.push(`         fix: ${f.remedy}`);
  }
  if (report.repair?.refused) lines.push(`repair refused: ${report.repair.refused.join('; ')}`);
  for (const a of report.actions) lines.push(`${a.ok ? 'done' : 'FAILED'}     ${a.code}: ${a.description}`);
  if (report.findings.length === 0) lines.push('no problems found');
  return lines.join('\n');
}
