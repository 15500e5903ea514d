import { targetsOf } from '../aws/accounts.js';
import { replay } from '../cli/definition/replay.js';
import { configPathFrom, isStdout } from '../cli/flags.js';
import { createOutput, type Output } from '../cli/output.js';
import { parseCommand } from '../cli/parse.js';
import { outputFileProblem } from '../cli/output-path.js';
import { openAccountSession, type SessionRouting, type SessionDeps } from '../cli/session.js';
import { failedEventsFor } from '../config/failed-events.js';
import { selectAccounts, selectRegions, type MigrationConfig } from '../config/load.js';
import { ExitCode, TaegisError, type Problem } from '../util/errors.js';
import { loadConfig } from '../config/load.js';
import { replayStack, type StackReplay } from '../replay/replay.js';
import { pacer, selectStackTargets, type StackTarget } from '../replay/targets.js';

/** Stacks worked on at once (the rate limit is shared by all of them). */
export const STACKS_AT_ONCE = 4;

/** Things the CLIs need from outside; tests pass their own. */
export interface ReplayCliDeps extends Pick<SessionDeps, 'accounts'> {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  /** How the rate limit waits. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Long-poll wait of each SQS receive. @default 1 */
  readonly waitTimeSeconds?: number;
}

export interface Io {
  readonly output: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

export const ioOf = (deps: ReplayCliDeps): Io => ({
  output: createOutput(deps),
  env: deps.env ?? process.env,
  now: deps.now ?? (() => new Date()),
  sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
});

/** Bad flags: exit 2, before any AWS call. */
export function throwProblems(problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  const n = problems.length;
  throw new TaegisError('INPUT_INVALID', `flags: ${n} problem${n === 1 ? '' : 's'} found; nothing was sent`, {
    problems,
  });
}

/** The selected config and stacks: bad input (exit 2) before any AWS call. */
export function selectTargets(
  f: { config: string | undefined; account: string[]; region: string[]; stack: string[] },
  now: Date,
): { config: MigrationConfig; targets: StackTarget[] } {
  const config = selectRegions(selectAccounts(loadConfig(configPathFrom(f.config), { now }), f.account), f.region);
  return { config, targets: selectStackTargets(config, f.stack) };
}

/**
 * Clients for every selected target's account, entered as verify enters them (the target's own credentials); an
 * account whose role cannot be assumed is reported for its stacks, the others go on.
 */
export async function openRouting(
  f: { profile: string | undefined; 'endpoint-url': string | undefined; 'role-name': string | undefined },
  config: MigrationConfig,
  targets: readonly StackTarget[],
  command: string,
  deps: ReplayCliDeps,
  io: Io,
): Promise<{ routing: SessionRouting; close: () => void }> {
  const roleName = f['role-name'];
  const session = openAccountSession({ command, flags: f, env: io.env, deps });
  await session.preflight(targets[0]!.region);
  const used = config.regions.filter((r) => targets.some((t) => t.account === r.account && t.region === r.region));
  return { routing: await session.route(targetsOf({ ...config, regions: used }), roleName), close: session.close };
}

/** The report as JSON on stdout (`--json -`), else the text, and the JSON file `--json PATH` asks for. */
export function output(f: { json: string | undefined }, io: Io, report: object, text: string): void {
  io.output.report(`${JSON.stringify(report, null, 2)}\n`, f.json, { text });
}

/** `taegis-migrate replay`. Everything is validated before the first AWS call. */
export async function replayMain(argv: readonly string[], deps: ReplayCliDeps = {}): Promise<ExitCode> {
  const io = ioOf(deps);
  const { values: f, help } = parseCommand(replay, argv);
  if (help !== undefined) {
    io.output.out(help);
    return ExitCode.Ok;
  }
  const problems: Problem[] = [];
  const { max, rate } = f;
  if (f.json !== undefined && !isStdout(f.json)) {
    const p = outputFileProblem('--json', f.json);
    if (p) problems.push(p);
  }
  throwProblems(problems);
  const started = io.now();
  const { config, targets } = selectTargets(f, started);
  const { routing, close } = await openRouting(f, config, targets, 'replay', deps, io);
  const dryRun = f['dry-run'];
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
