import type { Command } from 'commander';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { type Config, type ConfigFlags, type DataPaths, dataPaths, flagsOverriddenByEnv, loadConfig } from '../config.js';
import { escapeControls, escapeControlsInJson } from '../control-chars.js';
import { AppError, errorMessage, isAppError, sqliteCode } from '../errors.js';
import { type AppLogger, createLogger } from '../log.js';

/**
 * What every command gets: the validated config, the data-dir paths, a logger on stderr, `--json`, and the clock.
 *
 * Output rules (docs/interface.md): with `--json` one JSON document goes to stdout and nothing else does; human
 * text, progress and logs go to stderr. Exit codes: 0 success, 1 done with problems the output lists, 2 could not
 * do it. Everything printed here (results, notes, errors, JSON) has its control characters escaped
 * (control-chars.ts): an account name from a CSV cannot send escape sequences to the user's terminal.
 */
export interface CommandContext {
  config: Config;
  paths: DataPaths;
  json: boolean;
  logger: Logger;
  appLogger: AppLogger;
  /** The one source of "now" (src/clock.ts) for whatever the command decides by the time. */
  clock: Clock;
  /** Human-readable line: stdout normally, stderr under --json. */
  say(text: string): void;
  /** Progress and notes: always stderr. */
  note(text: string): void;
}

/** What the commands are built with (src/cli/program.ts): the one clock every command that reads the time uses. */
export interface CliDeps {
  clock: Clock;
}

export interface CommandResult<T> {
  /** The `--json` document. */
  json: T;
  /** What a person reads instead of the JSON. */
  text?: string;
  /** 0 (default) or 1 for "done, with problems the output lists". */
  exitCode?: 0 | 1 | 2;
}

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  logLevel?: string;
}

/** Options every command takes. Call on each subcommand so `tradelog <cmd> --data-dir X` works. */
export function withGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory (env TRADELOG_DATA_DIR, default ./data)')
    .option('--json', 'print one JSON document on stdout; human text goes to stderr')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env TRADELOG_LOG_LEVEL)');
}

/** `consoleFd`: where logs go when not to a file: stderr for commands (stdout is their output), stdout for `serve`. */
export function makeContext(
  opts: GlobalOptions,
  extraFlags: ConfigFlags = {},
  logDefault = 'warn',
  consoleFd: 1 | 2 = 2,
  clock: Clock = systemClock,
): CommandContext {
  const json = Boolean(opts.json);
  const flags: ConfigFlags = { dataDir: opts.dataDir, logLevel: opts.logLevel, ...extraFlags };
  for (const warning of flagsOverriddenByEnv(flags)) process.stderr.write(`warning: ${warning}\n`);
  const config = loadConfig({ ...flags, logLevel: opts.logLevel ?? (process.env.TRADELOG_LOG_LEVEL ? undefined : logDefault) });
  const appLogger = createLogger({ level: config.logLevel, file: config.logFile, consoleFd });
  return {
    config,
    paths: dataPaths(config.dataDir),
    json,
    logger: appLogger.logger,
    appLogger,
    clock,
    say: (text) => process[json ? 'stderr' : 'stdout'].write(`${escapeControls(text, true)}\n`),
    note: (text) => process.stderr.write(`${escapeControls(text, true)}\n`),
  };
}

/** `error TL_…: message` and `fix: remedy` on stderr (`{error}` on stdout under --json); a bug also prints its stack. */
export function printError(err: unknown, json: boolean): void {
  const app: AppError = isAppError(err)
    ? err
    : new AppError('TL_INTERNAL', `Unexpected error: ${sqliteCode(err) ? `${sqliteCode(err)} ` : ''}${errorMessage(err)}`, {
        remedy: 'This is a bug in tradelog. Run the command again with --log-level debug and report the output.',
        details: sqliteCode(err) ? { sqliteCode: sqliteCode(err) } : undefined,
      });
  if (json) {
    process.stdout.write(`${jsonText({ error: app.toJSON() })}\n`);
  } else {
    process.stderr.write(`${escapeControls(`error ${app.code}: ${app.message}\nfix: ${app.remedy}`, true)}\n`);
  }
  if (!isAppError(err) && err instanceof Error && err.stack) process.stderr.write(`${escapeControls(err.stack, true)}\n`);
}

/** The `--json` document as printed: pretty, with control characters escaped. */
function jsonText(value: unknown): string {
  return escapeControlsInJson(JSON.stringify(value, null, 2));
}

/**
 * Run a command body: builds the context, prints the result as JSON or text, maps errors to
 * `error TL_…: message` / `fix: remedy` and exit code 2.
 */
export async function runCommand<T>(
  opts: GlobalOptions,
  body: (ctx: CommandContext) => Promise<CommandResult<T>> | CommandResult<T>,
  extraFlags: ConfigFlags = {},
  clock: Clock = systemClock,
): Promise<void> {
  let ctx: CommandContext | undefined;
  try {
    ctx = makeContext(opts, extraFlags, 'warn', 2, clock);
    const result = await body(ctx);
    if (ctx.json) process.stdout.write(`${jsonText(result.json)}\n`);
    else if (result.text !== undefined) {
      const text = escapeControls(result.text, true);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    process.exitCode = result.exitCode ?? 0;
  } catch (err) {
    printError(err, ctx?.json ?? Boolean(opts.json));
    process.exitCode = 2;
  } finally {
    ctx?.appLogger.close();
  }
}

/** Argument errors (commander's) also exit 2, with the same shape. */
export function usageError(message: string, remedy: string): AppError {
  return new AppError('TL_CLI_USAGE', message, { remedy });
}

/** `runCommand` for the commands of one module, building each context with `deps.clock`. */
export function commandRunner(deps: CliDeps) {
  return <T>(
    opts: GlobalOptions,
    body: (ctx: CommandContext) => Promise<CommandResult<T>> | CommandResult<T>,
    extraFlags: ConfigFlags = {},
  ): Promise<void> => runCommand(opts, body, extraFlags, deps.clock);
}
