import { targetsOf, type AccountClients } from '../aws/accounts.js';
import {
  COMMON_FLAGS,
  COMMON_HELP,
  configPathFrom,
  isStdout,
  listFlag,
  roleNameFlag,
  withOptionalValue,
} from '../cli/flags.js';
import { outputFileProblem, writeOutputFile } from '../cli/output-path.js';
import { parseFlags } from '../cli/run.js';
import { openAccountSession, type SessionRouting } from '../cli/session.js';
import { failedEventsFor } from '../config/failed-events.js';
import { selectAccounts, selectRegions, type MigrationConfig } from '../config/load.js';
import { ExitCode, TaegisError, type Problem } from '../util/errors.js';
import { loadConfig } from '../config/load.js';
import { parseSince } from './verify.js';
import { backfillStack, type StackBackfill } from '../replay/backfill.js';
import { Checkpoint } from '../replay/checkpoint.js';
import { replayStack, type StackReplay } from '../replay/replay.js';
import { pacer, selectStackTargets, type StackTarget } from '../replay/targets.js';

/** Invocations per second unless `--rate` says otherwise: well under a function's concurrency and Invoke limits. */
export const DEFAULT_RATE = 5;
const MAX_RATE = 100;
/** Records one replay sends per stack unless `--max` says otherwise. */
export const DEFAULT_MAX = 1000;
export const DEFAULT_CHECKPOINT = 'backfill-checkpoint.jsonl';
/** Stacks worked on at once (the rate limit is shared by all of them). */
const STACKS_AT_ONCE = 4;

const TARGET_HELP = `${COMMON_HELP.config}
${COMMON_HELP.region}
  --account A               only this account (repeatable, or a comma list)`;
const ACCESS_HELP = `  --role-name NAME          the role to assume in every configured account that is not the caller's, instead of
                            the config's "access" roleName
${COMMON_HELP.profile}
${COMMON_HELP['endpoint-url']}
${COMMON_HELP.help}`;

export const REPLAY_USAGE = `usage: taegis-migrate replay [flags]

Sends the events a migrated function failed on again. Reads the queue the function's own on-failure destination
names (config "failedEvents", or one made by hand), invokes the function asynchronously with each record's original
request payload, and deletes a record only once its invocation was accepted; one that fails stays for the next run.
Fix the cause first (verify's failed-events check counts what waits).
${TARGET_HELP}
  --stack NAME              only this stack (repeatable, or a comma list; default every configured stack)
  --dry-run                 list what would be sent (bucket, key, failure condition, failure time); send nothing
  --max N                   at most N records per stack (default ${DEFAULT_MAX})
  --rate N                  invocations per second, all stacks together (default ${DEFAULT_RATE}, at most ${MAX_RATE})
${COMMON_HELP.json}
${ACCESS_HELP}
Exit 0: every record read was sent (or there was none); 1: a stack or a record failed; 2: bad input, nothing sent.`;

export const BACKFILL_USAGE = `usage: taegis-migrate backfill --stack NAME --since TIME [--until TIME] [flags]

Sends every object of a stack's log bucket last modified in a time window to its function, as S3 would have
announced it (one asynchronous invocation per object with an ObjectCreated:Put event record): for a window in which
the trigger was missing or the function broken. Each object is sent once; a checkpoint file remembers what was
sent, so running the same window again sends nothing new.
${TARGET_HELP}
  --stack NAME              the stack (repeatable, or a comma list; required)
  --since ISO-TIME|DURATION the window's start, inclusive (e.g. 2026-11-23T10:00:00Z, or 6h back from now)
  --until ISO-TIME|DURATION the window's end, exclusive (default now)
  --prefix P                only keys starting with P (e.g. AWSLogs/123456789012/CloudTrail/)
  --dry-run                 print the count and the first keys that would be sent; send nothing
  --force                   send objects the checkpoint already has, too
  --checkpoint FILE         the checkpoint (default ./${DEFAULT_CHECKPOINT}; one JSON line per object sent)
  --rate N                  invocations per second, all stacks together (default ${DEFAULT_RATE}, at most ${MAX_RATE})
${COMMON_HELP.json}
${ACCESS_HELP}
Exit 0: every object in the window was sent (or already had been); 1: a stack or an object failed; 2: bad input,
nothing sent.`;

const COMMON = {
  config: COMMON_FLAGS.config,
  region: COMMON_FLAGS.region,
  account: { type: 'string', multiple: true },
  stack: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  rate: { type: 'string' },
  json: COMMON_FLAGS.json,
  'role-name': { type: 'string' },
  profile: COMMON_FLAGS.profile,
  'endpoint-url': COMMON_FLAGS['endpoint-url'],
  help: COMMON_FLAGS.help,
} as const;
const REPLAY_FLAGS = { ...COMMON, max: { type: 'string' } } as const;
const BACKFILL_FLAGS = {
  ...COMMON,
  since: { type: 'string' },
  until: { type: 'string' },
  prefix: { type: 'string' },
  force: { type: 'boolean' },
  checkpoint: { type: 'string' },
} as const;

/** Things the CLIs need from outside; tests pass their own. */
export interface ReplayCliDeps {
  /**
   * Clients per account (tests aim these at moto).
   * @default - from --endpoint-url/AWS_ENDPOINT_URL and --profile
   */
  readonly accounts?: AccountClients;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  /** How the rate limit waits. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Long-poll wait of each SQS receive. @default 1 */
  readonly waitTimeSeconds?: number;
}

interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

const ioOf = (deps: ReplayCliDeps): Io => ({
  stdout: deps.stdout ?? ((t) => process.stdout.write(`${t}\n`)),
  stderr: deps.stderr ?? ((t) => process.stderr.write(`${t}\n`)),
  env: deps.env ?? process.env,
  now: deps.now ?? (() => new Date()),
  sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
});

function numberFlag(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  integer: boolean,
  problems: Problem[],
): number | undefined {
  if (value === undefined) return undefined;
  const ok = (integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(value) && Number(value) >= min && Number(value) <= max;
  if (!ok) {
    problems.push({
      path: `--${name}`,
      message: `"${value}" is not ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`,
      fix: `pass e.g. --${name} ${name === 'rate' ? DEFAULT_RATE : DEFAULT_MAX}`,
    });
    return undefined;
  }
  return Number(value);
}

function throwProblems(problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  const n = problems.length;
  throw new TaegisError('INPUT_INVALID', `flags: ${n} problem${n === 1 ? '' : 's'} found; nothing was sent`, {
    problems,
  });
}

/** The selected config and stacks: bad input (exit 2) before any AWS call. */
function selectTargets(
  f: { config?: string; account?: string[]; region?: string[]; stack?: string[] },
  now: Date,
): { config: MigrationConfig; targets: StackTarget[] } {
  const config = selectRegions(
    selectAccounts(loadConfig(configPathFrom(f.config), { now }), listFlag(f.account)),
    listFlag(f.region),
  );
  return { config, targets: selectStackTargets(config, listFlag(f.stack)) };
}

/**
 * Clients for every selected target's account, entered as verify enters them (the target's own credentials); an
 * account whose role cannot be assumed is reported for its stacks, the others go on.
 */
async function openRouting(
  f: { profile?: string; 'endpoint-url'?: string; 'role-name'?: string },
  config: MigrationConfig,
  targets: readonly StackTarget[],
  command: string,
  deps: ReplayCliDeps,
  io: Io,
): Promise<{ routing: SessionRouting; close: () => void }> {
  const roleName = roleNameFlag(f['role-name']);
  const session = openAccountSession({ command, flags: f, env: io.env, deps });
  await session.preflight(targets[0]!.region);
  const used = config.regions.filter((r) => targets.some((t) => t.account === r.account && t.region === r.region));
  return { routing: await session.route(targetsOf({ ...config, regions: used }), roleName), close: session.close };
}

function output(f: { json?: string }, io: Io, report: object, text: string): void {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (isStdout(f.json)) io.stdout(json.trimEnd());
  else io.stdout(text);
  if (f.json !== undefined && !isStdout(f.json)) writeOutputFile(f.json, json);
}

/** `taegis-migrate replay`. Everything is validated before the first AWS call. */
export async function replayMain(argv: readonly string[], deps: ReplayCliDeps = {}): Promise<ExitCode> {
  const io = ioOf(deps);
  const { values: f } = parseFlags(withOptionalValue(argv, '--json'), REPLAY_FLAGS);
  if (f.help) {
    io.stdout(REPLAY_USAGE);
    return ExitCode.Ok;
  }
  const problems: Problem[] = [];
  const max = numberFlag(f.max, 'max', 1, 1_000_000, true, problems) ?? DEFAULT_MAX;
  const rate = numberFlag(f.rate, 'rate', 0.1, MAX_RATE, false, problems) ?? DEFAULT_RATE;
  if (f.json !== undefined && !isStdout(f.json)) {
    const p = outputFileProblem('--json', f.json);
    if (p) problems.push(p);
  }
  throwProblems(problems);
  const started = io.now();
  const { config, targets } = selectTargets(f, started);
  const { routing, close } = await openRouting(f, config, targets, 'replay', deps, io);
  const dryRun = f['dry-run'] === true;
  let stacks: StackReplay[];
  try {
    const pace = pacer(rate, io.sleep);
    stacks = await routing.eachTarget(
      targets,
      STACKS_AT_ONCE,
      (clients, t) =>
        replayStack(clients, t, {
          dryRun,
          max,
          pace,
          now: io.now,
          keeps: (x) => failedEventsFor(config, x.stack) !== undefined,
          ...(deps.waitTimeSeconds !== undefined ? { waitTimeSeconds: deps.waitTimeSeconds } : {}),
        }),
      (t, reason) => ({
        account: t.account,
        region: t.region,
        stackName: t.stack.stackName,
        status: 'failed',
        detail: reason,
        events: [],
      }),
    );
  } finally {
    close();
  }
  const count = (o: string): number => stacks.flatMap((s) => s.events).filter((e) => e.outcome === o).length;
  const exitCode = stacks.some((s) => s.status === 'failed') ? ExitCode.CheckFailed : ExitCode.Ok;
  const report = {
    tool: 'taegis-migrate replay',
    startedAt: started.toISOString(),
    finishedAt: io.now().toISOString(),
    dryRun,
    max,
    ratePerSecond: rate,
    stacks,
    summary: {
      sent: count('sent'),
      wouldSend: count('would-send'),
      failed: count('failed') + count('sent-not-deleted'),
      kept: count('kept'),
      stacksFailed: stacks.filter((s) => s.status === 'failed').length,
    },
    exitCode,
  };
  const lines: string[] = [];
  for (const s of stacks) {
    lines.push(`${s.status.toUpperCase().padEnd(7)} ${s.account}/${s.region} ${s.stackName}: ${s.detail}`);
    for (const e of s.events) {
      const what = [e.bucket, e.key].filter(Boolean).join('/') || e.messageId;
      const why = [e.condition, e.failedAt ? `first failed ${e.failedAt}` : undefined, e.detail].filter(Boolean);
      lines.push(`  ${e.outcome.padEnd(16)} ${what}${why.length > 0 ? ` (${why.join(', ')})` : ''}`);
    }
  }
  const s = report.summary;
  lines.push(
    dryRun
      ? `DRY RUN: ${s.wouldSend} event${s.wouldSend === 1 ? '' : 's'} would be sent; nothing was sent or deleted`
      : `${exitCode === 0 ? 'DONE' : 'FAIL'}: ${s.sent} sent, ${s.failed} failed (left in the queue), ${s.kept} not this function's`,
  );
  output(f, io, report, lines.join('\n'));
  return exitCode;
}

/** `taegis-migrate backfill`. Everything is validated (and the checkpoint read) before the first AWS call. */
export async function backfillMain(argv: readonly string[], deps: ReplayCliDeps = {}): Promise<ExitCode> {
  const io = ioOf(deps);
  const { values: f } = parseFlags(withOptionalValue(argv, '--json'), BACKFILL_FLAGS);
  if (f.help) {
    io.stdout(BACKFILL_USAGE);
    return ExitCode.Ok;
  }
  const started = io.now();
  const problems: Problem[] = [];
  const rate = numberFlag(f.rate, 'rate', 0.1, MAX_RATE, false, problems) ?? DEFAULT_RATE;
  if (listFlag(f.stack).length === 0) {
    problems.push({
      path: '--stack',
      message: 'is required',
      fix: 'name the stack whose bucket to send: --stack NAME',
    });
  }
  const time = (flag: 'since' | 'until'): Date | undefined => {
    const v = f[flag];
    if (v === undefined) return undefined;
    const t = parseSince(v, started);
    if (typeof t !== 'string') return t;
    problems.push({
      path: `--${flag}`,
      message: t,
      fix: 'pass an ISO time (2026-11-23T10:00:00Z) or a duration back from now (6h)',
    });
    return undefined;
  };
  const since = time('since');
  const until = time('until') ?? (f.until === undefined ? started : undefined);
  if (f.since === undefined) {
    problems.push({
      path: '--since',
      message: 'is required',
      fix: 'pass the window start, e.g. --since 2026-11-23T10:00:00Z',
    });
  }
  if (since && until && since.getTime() >= until.getTime()) {
    problems.push({
      path: '--since',
      message: `${since.toISOString()} is not before --until ${until.toISOString()}`,
      fix: 'give a window whose start comes before its end',
    });
  }
  if (f.prefix !== undefined && (f.prefix === '' || Buffer.byteLength(f.prefix) > 1024)) {
    problems.push({
      path: '--prefix',
      message: 'is empty or longer than 1024 bytes',
      fix: 'give a key prefix such as AWSLogs/, or leave it out',
    });
  }
  const checkpointFile = f.checkpoint ?? DEFAULT_CHECKPOINT;
  for (const [flag, file] of [
    ['--checkpoint', checkpointFile],
    ['--json', f.json],
  ] as const) {
    if (file === undefined || isStdout(file)) continue;
    const p = outputFileProblem(flag, file);
    if (p) problems.push(p);
  }
  throwProblems(problems);
  const checkpoint = Checkpoint.load(checkpointFile);
  const { config, targets } = selectTargets(f, started);
  const { routing, close } = await openRouting(f, config, targets, 'backfill', deps, io);
  const dryRun = f['dry-run'] === true;
  let lastProgress = 0;
  let stacks: StackBackfill[];
  try {
    const pace = pacer(rate, io.sleep);
    stacks = await routing.eachTarget(
      targets,
      STACKS_AT_ONCE,
      (clients, t) =>
        backfillStack(clients, t, {
          since: since!,
          until: until!,
          ...(f.prefix !== undefined ? { prefix: f.prefix } : {}),
          dryRun,
          force: f.force === true,
          checkpoint,
          pace,
          now: io.now,
          onProgress: ({ stackName, done, total }) => {
            // Long runs say where they are: every 100 objects or 30 s, and at the end.
            if (done === total || done % 100 === 0 || Date.now() - lastProgress >= 30_000) {
              lastProgress = Date.now();
              io.stderr(`backfill ${stackName}: ${done}/${total} objects`);
            }
          },
        }),
      (t, reason) => ({
        account: t.account,
        region: t.region,
        stackName: t.stack.stackName,
        status: 'failed',
        detail: reason,
        inWindow: 0,
        alreadySent: 0,
        sent: [],
        failed: [],
      }),
    );
  } finally {
    close();
  }
  const exitCode = stacks.some((s) => s.status === 'failed') ? ExitCode.CheckFailed : ExitCode.Ok;
  const sum = (pick: (s: StackBackfill) => number): number => stacks.reduce((a, s) => a + pick(s), 0);
  const report = {
    tool: 'taegis-migrate backfill',
    startedAt: started.toISOString(),
    finishedAt: io.now().toISOString(),
    dryRun,
    window: { since: since!.toISOString(), until: until!.toISOString(), ...(f.prefix ? { prefix: f.prefix } : {}) },
    force: f.force === true,
    checkpoint: checkpoint.file,
    ratePerSecond: rate,
    stacks,
    summary: {
      inWindow: sum((s) => s.inWindow),
      alreadySent: sum((s) => s.alreadySent),
      sent: sum((s) => s.sent.length),
      failed: sum((s) => s.failed.length),
      stacksFailed: stacks.filter((s) => s.status === 'failed').length,
    },
    exitCode,
  };
  const lines: string[] = [];
  for (const s of stacks) {
    lines.push(`${s.status.toUpperCase().padEnd(6)} ${s.account}/${s.region} ${s.stackName}: ${s.detail}`);
    for (const k of s.wouldSend ?? []) lines.push(`  would send ${k}`);
    for (const x of s.failed) lines.push(`  failed     ${x.key}: ${x.detail}`);
  }
  const s = report.summary;
  lines.push(
    dryRun
      ? `DRY RUN: ${stacks.reduce((a, x) => a + x.inWindow - x.alreadySent, 0)} objects would be sent; nothing was sent`
      : `${exitCode === 0 ? 'DONE' : 'FAIL'}: ${s.sent} sent, ${s.failed} failed, ${s.alreadySent} already sent before (checkpoint ${checkpoint.file})`,
  );
  output(f, io, report, lines.join('\n'));
  return exitCode;
}
