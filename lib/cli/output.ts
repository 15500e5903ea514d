import { isStdout } from './flags.js';
import { writeOutputFile } from './output-path.js';

/**
 * Where a command's edge gets its streams from. Every field is for tests (the edges' `deps` pass theirs through);
 * the defaults are the process's own streams. Text is given line by line, without its newline.
 */
export interface OutputOptions {
  /**
   * Writes one line to stdout.
   * @default - process.stdout, with a newline
   */
  readonly stdout?: (line: string) => void;
  /**
   * Writes one line to stderr.
   * @default - process.stderr, with a newline
   */
  readonly stderr?: (line: string) => void;
  /**
   * Whether stderr is a terminal: progress then rewrites one line in place instead of printing a line per update.
   * @default process.stderr.isTTY
   */
  readonly tty?: boolean;
  /**
   * Writes to the terminal as is, for the line progress rewrites in place.
   * @default - process.stderr
   */
  readonly terminal?: (text: string) => void;
  /**
   * Applied to every line and report before it leaves (a Masker's `mask`), so no path out skips it.
   * @default - the text as it is
   */
  readonly mask?: (text: string) => string;
  /**
   * The clock progress is paced by, in milliseconds.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** One progress update: the line as it reads now, and whether it is the last one. */
export interface ProgressUpdate {
  readonly line: string;
  /** The work is over (all done, or time is up): the line is printed, and a rewritten line is ended. */
  readonly last: boolean;
  /** A step worth a line of its own even within the pause (every 100th object, ...). @default false */
  readonly milestone?: boolean;
}

/** How one progress reports. */
export interface ProgressOptions {
  /**
   * The pause between two printed lines when stderr is no terminal (or `inPlace` is false).
   * @default 30000
   */
  readonly everyMs?: number;
  /**
   * On a terminal, rewrite one line per update; false prints lines (paced) there too, e.g. when several stacks
   * report at once and one line cannot hold them.
   * @default true
   */
  readonly inPlace?: boolean;
}

/** Where a report went. */
export type ReportTarget = 'stdout' | 'file';

/** What a command prints beside its report. */
export interface ReportOptions {
  /**
   * The lines a person reads (a table, a summary), printed on stdout unless the report itself goes there.
   * @default - none
   */
  readonly text?: string | readonly string[];
  /**
   * Print "wrote <absolute path>" after writing the report's file.
   * @default false
   */
  readonly announce?: boolean;
}

/** The one output sink of a command: its lines, its progress and its reports. */
export interface Output {
  /** Prints a line on stdout (the command's result). */
  readonly out: (line: string) => void;
  /** Prints a line on stderr (warnings, notes, progress). */
  readonly err: (line: string) => void;
  /** Whether stderr is a terminal. */
  readonly tty: boolean;
  /**
   * A progress reporter: on a terminal one line rewritten in place, otherwise a line on stderr when the pause has
   * passed since the last one, at a milestone, and at the end.
   */
  progress(options?: ProgressOptions): (update: ProgressUpdate) => void;
  /**
   * A report where its flag says (`--json`, `--junit`): "-" prints it on stdout (without its final newline, which the
   * line gets back) instead of `text`; otherwise `text` is printed, then a path gets the file written (`announce`
   * then prints "wrote <absolute path>"), and undefined sends the report nowhere. Returns where the report went. The
   * file's path was checked before the first AWS call (outputFileProblem).
   */
  report(content: string, target: string | undefined, options?: ReportOptions): ReportTarget | undefined;
}

/** The sink every command's edge writes through; lib/ below the edges gets its functions passed in. */
export function createOutput(options: OutputOptions = {}): Output {
  const mask = options.mask ?? ((t: string) => t);
  const rawOut = options.stdout ?? ((t: string) => process.stdout.write(`${t}\n`));
  const rawErr = options.stderr ?? ((t: string) => process.stderr.write(`${t}\n`));
  const terminal = options.terminal ?? ((t: string) => process.stderr.write(t));
  const tty = options.tty ?? process.stderr.isTTY === true;
  const clock = options.clock ?? Date.now;
  const out = (line: string): void => rawOut(mask(line));
  const err = (line: string): void => rawErr(mask(line));
  return {
    out,
    err,
    tty,
    progress({ everyMs = 30_000, inPlace = true } = {}) {
      let printedAt = -Infinity;
      return ({ line, last, milestone = false }) => {
        if (tty && inPlace) {
          // \r and "erase line": the next update overwrites this one; the last one ends the line.
          terminal(`\r\x1b[2K${mask(line)}${last ? '\n' : ''}`);
          return;
        }
        const now = clock();
        if (!last && !milestone && now - printedAt < everyMs) return;
        printedAt = now;
        err(line);
      };
    },
    report(content, target, { text = [], announce = false } = {}) {
      if (isStdout(target)) {
        const masked = mask(content);
        rawOut(masked.endsWith('\n') ? masked.slice(0, -1) : masked);
        return 'stdout';
      }
      for (const line of typeof text === 'string' ? [text] : text) out(line);
      if (target === undefined) return undefined;
      const file = writeOutputFile(target, mask(content));
      if (announce) out(`wrote ${file}`);
      return 'file';
    },
  };
}
