import { backfill } from '../cli/definition/backfill.js';
import { isStdout } from '../cli/flags.js';
import { outputFileProblem } from '../cli/output-path.js';
import { parseCommand } from '../cli/parse.js';
import { backfillStack, type StackBackfill } from '../replay/backfill.js';
import { Checkpoint } from '../replay/checkpoint.js';
import { pacer } from '../replay/targets.js';
import { ExitCode, type Problem } from '../util/errors.js';
import {
  ioOf,
  openRouting,
  output,
  selectTargets,
  STACKS_AT_ONCE,
  throwProblems,
  type ReplayCliDeps,
} from './replay.js';
import { parseSince } from './verify.js';

/** `taegis-migrate backfill`. Everything is validated (and the checkpoint read) before the first AWS call. */
export async function backfillMain(argv: readonly string[], deps: ReplayCliDeps = {}): Promise<ExitCode> {
  const io = ioOf(deps);
  const { values: f, help } = parseCommand(backfill, argv);
  if (help !== undefined) {
    io.output.out(help);
    return ExitCode.Ok;
  }
  const started = io.now();
  const problems: Problem[] = [];
  const rate = f.rate;
  if (f.stack.length === 0) {
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
  const checkpointFile = f.checkpoint;
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
  const dryRun = f['dry-run'];
  // Long runs say where they are: every 100 objects or 30 s, and at the end; a line each, as stacks run at once.
  const progress = io.output.progress({ inPlace: false });
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
          force: f.force,
          checkpoint,
          pace,
          now: io.now,
          onProgress: ({ stackName, done, total }) =>
            progress({
              line: `backfill ${stackName}: ${done}/${total} objects`,
              last: done === total,
              milestone: done % 100 === 0,
            }),
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
    force: f.force,
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
