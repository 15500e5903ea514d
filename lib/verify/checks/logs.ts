import { paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClientFactory } from '../../aws/clients.js';
import { awsErrorName } from '../../aws/errors.js';
import { Masker } from '../../util/masking.js';
import { pollRounds } from '../../util/poll.js';
import { ERROR_LINE, functionLogGroup, LOG_FILTER_PATTERN, SUCCESS_LINE } from '../../facts/taegis.js';
import { describeError, failed, record, type Clock, type StackWork } from '../work.js';

const LOG_MASKER = new Masker();

/** CloudWatch Logs may ingest an event minutes after its timestamp: rescans overlap by this much. */
const INGESTION_MARGIN_MS = 5 * 60_000;

/** At most this many pages per stack per round, so one large group cannot hold up the others. */
const PAGES_PER_ROUND = 10;

export interface LogWaitOptions {
  /** Seconds to wait for the success line; 0 looks once. */
  readonly logTimeoutSeconds: number;
  /** Log lines must be newer than this. @default - each stack's LastUpdatedTime (else CreationTime) */
  readonly since?: Date;
  /** @default 10000 */
  readonly pollIntervalMs?: number;
  /**
   * A dry run moves no trigger, so a missing success line is expected, not a failure: it is a note (`warn`), and
   * the exit code speaks about what the real run would do. A log group that cannot be read still fails.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * `verify --check`: nothing is moved and the trigger should already be in place, so no success line within the
   * window (`--since`) is drift: a failure.
   * @default false
   */
  readonly check?: boolean;
  /** Progress while waiting. @default - silent */
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly secondsLeft: number }) => void;
}

interface LogWatch {
  readonly w: StackWork;
  readonly since: Date;
  readonly start: Date;
  readonly errors: Map<string, string>;
  groupSeen: boolean;
  /** Where the next scan starts: `since`, then moved up after each complete scan (less a margin for late events). */
  scanFrom: number;
  /** An unfinished scan's position, carried to the next round so a large group is read once, not from the top. */
  nextToken?: string;
  scanStartedAt?: number;
  found?: Date;
  failure?: string;
}

/**
 * The `logs` check: polls FilterLogEvents for every stack still waiting, one round of pages per stack, until each
 * has its success line or the timeout passes on `clock`. A missing log group means "not yet".
 */
export async function waitForLogs(
  clientsOf: (account: string) => AwsClientFactory,
  works: readonly StackWork[],
  opts: LogWaitOptions,
  clock: Clock,
  limit: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const { now } = clock;
  const watches: LogWatch[] = [];
  for (const w of works) {
    if (failed(w) || !w.functionName) continue;
    const since = opts.since ?? w.stack?.LastUpdatedTime ?? w.stack?.CreationTime ?? new Date(0);
    watches.push({ w, since, start: now(), errors: new Map(), groupSeen: false, scanFrom: since.getTime() });
  }
  const open = (): LogWatch[] => watches.filter((x) => !x.found && !x.failure);
  await pollRounds({
    total: watches.length,
    timeoutSeconds: opts.logTimeoutSeconds,
    intervalMs: opts.pollIntervalMs ?? 10_000,
    now,
    sleep: clock.sleep,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    round: async () => {
      const polled = open();
      await Promise.all(polled.map((x) => limit(() => pollOnce(clientsOf(x.w.account), x, now))));
      for (const x of polled) if (x.found || x.failure) settle(x, opts, now);
      return open().length;
    },
  });
  // Those found or failed during the wait are recorded already, with the time it took.
  for (const x of watches) if (!x.w.checks.has('logs')) settle(x, opts, now);
}

/**
 * Records a watch's `logs` result: found or failed as soon as it is known (a partial report after Ctrl-C shows it),
 * else, once the wait is over, why the line was not seen.
 */
function settle(x: LogWatch, opts: LogWaitOptions, now: () => Date): void {
  const errs = [...x.errors.values()];
  const errWarn =
    errs.length > 0
      ? [`${errs.length} error-level line(s) since ${x.since.toISOString()}: ${errs.slice(0, 3).join(' | ')}`]
      : [];
  if (x.found) {
    record(
      x.w,
      'logs',
      x.start,
      now,
      errs.length > 0 ? 'warn' : 'pass',
      `"${SUCCESS_LINE}" at ${x.found.toISOString()}`,
      errWarn,
    );
  } else if (x.failure) {
    record(x.w, 'logs', x.start, now, 'fail', x.failure, errWarn);
  } else {
    const group = functionLogGroup(x.w.functionName!);
    const why = x.groupSeen ? `no "${SUCCESS_LINE}" in ${group}` : `log group ${group} does not exist yet`;
    if (opts.dryRun && opts.check !== true) {
      record(
        x.w,
        'logs',
        x.start,
        now,
        'warn',
        `dry run: not yet: ${why} since ${x.since.toISOString()}; the real run moves the trigger, then waits for it (--log-timeout)`,
        errWarn,
      );
      return;
    }
    record(
      x.w,
      'logs',
      x.start,
      now,
      'fail',
      opts.check === true
        ? `drift: ${why} since ${x.since.toISOString()} (the --since window)`
        : `${why} since ${x.since.toISOString()} (waited ${opts.logTimeoutSeconds} s); check the trigger and new objects in the bucket, or raise --log-timeout`,
      errWarn,
    );
  }
}

async function pollOnce(clients: AwsClientFactory, x: LogWatch, now: () => Date): Promise<void> {
  const logs = clients.logs(x.w.region);
  const logGroupName = functionLogGroup(x.w.functionName!);
  try {
    // A new scan notes when it started; an unfinished one resumes from its token (the paginator's startingToken).
    if (x.nextToken === undefined) x.scanStartedAt = now().getTime();
    let pages = 0;
    for await (const res of paginateFilterLogEvents(
      { client: logs, ...(x.nextToken ? { startingToken: x.nextToken } : {}) },
      { logGroupName, startTime: x.scanFrom, filterPattern: LOG_FILTER_PATTERN },
    )) {
      x.groupSeen = true;
      for (const e of res.events ?? []) {
        const msg = e.message ?? '';
        const ts = e.timestamp ?? 0;
        if (ts < x.since.getTime()) continue;
        if (msg.includes(SUCCESS_LINE)) {
          if (!x.found || ts < x.found.getTime()) x.found = new Date(ts);
        } else if (ERROR_LINE.test(msg)) {
          // Function logs can carry tokens or auth headers: mask before a line reaches the table, JSON or JUnit.
          x.errors.set(
            e.eventId ?? `${ts}:${msg}`,
            `${new Date(ts).toISOString()} ${LOG_MASKER.mask(msg.trim()).slice(0, 200)}`,
          );
        }
      }
      x.nextToken = res.nextToken;
      if (x.found) return;
      if (!x.nextToken) {
        // A complete scan found nothing: later scans need not read older events again.
        x.scanFrom = Math.max(x.since.getTime(), (x.scanStartedAt ?? now().getTime()) - INGESTION_MARGIN_MS);
        return;
      }
      // Round over: the others get their turn; the next round resumes from x.nextToken.
      if (++pages >= PAGES_PER_ROUND) return;
    }
  } catch (err) {
    x.nextToken = undefined;
    if (awsErrorName(err) === 'ResourceNotFoundException') return;
    x.failure = `reading ${logGroupName}: ${describeError(err)}`;
  }
}
