import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TaegisError } from '../util/errors.js';

/** One object a backfill sent (its invocation was accepted), one JSON line each. */
export interface CheckpointEntry {
  /** `account/region/stackName`. */
  readonly target: string;
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string;
  readonly lastModified: string;
  readonly sentAt: string;
}

const identity = (e: Omit<CheckpointEntry, 'sentAt'>): string =>
  [e.target, e.bucket, e.key, e.eTag, e.lastModified].join('\u0000');

/**
 * The objects a backfill has sent, kept in a JSON Lines file that grows by one line per accepted invocation: an
 * interrupted run loses at most the line of the call in flight, and a re-run of the same window sends only what is
 * not in it. An object is the same object while its key, ETag and last-modified time are.
 */
export class Checkpoint {
  private readonly sent = new Set<string>();

  private constructor(public readonly file: string) {}

  /** Reads `file` (absent: empty). A line that is not an entry is bad input: the file is not a checkpoint. */
  static load(file: string): Checkpoint {
    const cp = new Checkpoint(path.resolve(file));
    if (!existsSync(cp.file)) return cp;
    const lines = readFileSync(cp.file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let e: Partial<CheckpointEntry> | undefined;
      try {
        e = JSON.parse(line) as Partial<CheckpointEntry>;
      } catch {
        e = undefined;
      }
      if (
        !e ||
        typeof e.target !== 'string' ||
        typeof e.bucket !== 'string' ||
        typeof e.key !== 'string' ||
        typeof e.eTag !== 'string' ||
        typeof e.lastModified !== 'string'
      ) {
        throw new TaegisError(
          'INPUT_INVALID',
          `--checkpoint ${file}: line ${i + 1} is not a backfill checkpoint entry`,
          {
            fix: 'name another file with --checkpoint, or remove this one to send the window again',
          },
        );
      }
      cp.sent.add(identity(e as CheckpointEntry));
    });
    return cp;
  }

  has(e: Omit<CheckpointEntry, 'sentAt'>): boolean {
    return this.sent.has(identity(e));
  }

  /** Records one accepted invocation at once (a synchronous append, so a crash right after keeps it). */
  add(e: CheckpointEntry): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(e)}\n`);
    this.sent.add(identity(e));
  }
}
