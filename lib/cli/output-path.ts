import { accessSync, constants, mkdirSync, statSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Problem } from '../util/errors.js';

/**
 * Kernel file systems where a folder can never be made. Node 20's recursive mkdir loops forever under /proc (it
 * retries the parent it cannot create), so a path there is refused before anything is created.
 */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'] as const;

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (err) {
    // ENOTDIR: a file sits on the way; nearestExisting reports it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function underSpecialRoot(p: string): string | undefined {
  return SPECIAL_ROOTS.find((root) => p === root || p.startsWith(`${root}/`));
}

/**
 * The nearest folder of `dir` that exists, and the part below it that would have to be created. A file on the way is
 * reported as such.
 */
function nearestExisting(dir: string): {
  readonly existing: string;
  readonly missing: boolean;
  readonly file?: string;
} {
  let current = dir;
  let missing = false;
  for (;;) {
    const st = statOrUndefined(current);
    if (st) return st.isDirectory() ? { existing: current, missing } : { existing: current, missing, file: current };
    missing = true;
    const parent = path.dirname(current);
    if (parent === current) return { existing: current, missing };
    current = parent;
  }
}

/** Why a folder cannot be made or written, or undefined when it can. Creates nothing. */
function folderProblem(dir: string): string | undefined {
  const { existing, missing, file } = nearestExisting(dir);
  if (file !== undefined) return `${file} is a file, not a folder`;
  const special = underSpecialRoot(existing);
  if (missing && special !== undefined) return `folders cannot be created under ${special} (${dir})`;
  if (!writable(existing)) return `${existing} is not writable`;
  return undefined;
}

/**
 * Checks, without creating anything, that a report file can be written at `file`: an existing file must be a
 * writable file, a missing one needs a folder that exists or can be created (never under /proc, /sys or /dev).
 * Every command with an output path calls this before its first AWS call.
 */
export function outputFileProblem(flag: string, file: string): Problem | undefined {
  const abs = path.resolve(file);
  const fix = 'pick another path';
  const st = statOrUndefined(abs);
  if (st?.isDirectory()) return { path: flag, message: `${abs} is a folder`, fix: 'name a file' };
  if (st) return writable(abs) ? undefined : { path: flag, message: `${abs} is not writable`, fix };
  const why = folderProblem(path.dirname(abs));
  return why === undefined ? undefined : { path: flag, message: `${abs} cannot be written: ${why}`, fix };
}

/** Checks, without creating anything, that `dir` is a folder that exists or can be created, and can be written. */
export function outputDirProblem(flag: string, dir: string): Problem | undefined {
  const abs = path.resolve(dir);
  const st = statOrUndefined(abs);
  if (st && !st.isDirectory()) return { path: flag, message: `${abs} is a file`, fix: 'name a folder' };
  const why = folderProblem(abs);
  return why === undefined
    ? undefined
    : { path: flag, message: `folder ${abs} cannot be used: ${why}`, fix: 'name a folder you can write to' };
}

/** Writes a report checked by `outputFileProblem`, creating its folder now that the run has got this far. */
export function writeOutputFile(file: string, content: string): string {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return abs;
}
