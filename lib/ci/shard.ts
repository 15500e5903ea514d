import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { cdkJsonContext } from '../config/cdk-json.js';
import type { MigrationConfig } from '../config/load.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { assumeRoleProfile, bootstrapDeployRoleName, REPORTS_DIR, roleArn, targetSlug } from '../pipeline/commands.js';
import { targetName, verifyRoleNameOf, type Target } from '../config/pipeline.js';
import { shardedWaves, type ShardedWave } from '../pipeline/shards.js';
import { loadConfig } from '../config/load.js';
import { mapLimit } from '../util/concurrency.js';
import { allowedFailures, formatFailureTolerance, toleranceExceeded } from '../util/tolerance.js';

/** Where shards write their results (one JSON per shard) and the gate reads them, under the reports folder. */
export const RESULTS_DIR = `${REPORTS_DIR}/ci`;
/** Where shards write a JUnit file per shard (a test suite per target) and verify's own JUnit per target. */
export const JUNIT_DIR = `${REPORTS_DIR}/junit`;

export type ShardPhase = 'plan' | 'apply';
type StepName = 'plan' | 'deploy' | 'verify';

export interface StepResult {
  readonly step: StepName;
  readonly exitCode: number;
  readonly seconds: number;
  /** The last lines the step printed (the full log is in reports/logs). */
  readonly tail: string;
}

export interface TargetResult {
  readonly target: string;
  readonly account: string;
  readonly region: string;
  readonly result: 'pass' | 'fail';
  /** The first failing step and its exit code. */
  readonly reason?: string;
  readonly steps: readonly StepResult[];
}

export interface ShardResult {
  readonly wave: string;
  readonly shard: number;
  readonly phase: ShardPhase;
  readonly targets: readonly TargetResult[];
}

/** The wave `name` of the config's pipeline, sharded; bad input when there is no pipeline or no such wave. */
function waveOf(config: MigrationConfig, name: string | undefined): ShardedWave {
  const pc = config.pipeline;
  if (pc === undefined) {
    throw new TaegisError('CONFIG_INVALID', `config ${config.configPath} has no "pipeline" section`, {
      fix: 'add "pipeline" with its "waves" (see docs/pipelines.md)',
    });
  }
  const waves = shardedWaves({ regions: config.regions, pipeline: pc });
  const wave = waves.find((w) => w.name === name);
  if (wave === undefined) {
    throw new TaegisError('INPUT_INVALID', `--wave ${name ?? '(missing)'} is not a wave of the config`, {
      fix: `use one of ${waves.map((w) => w.name).join(', ')}`,
    });
  }
  return wave;
}

export interface ShardDeps {
  /** Prints one line (the edge passes its output sink's). */
  readonly out: (text: string) => void;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs one step of one target; the default runs this program's own command in a child process. */
  readonly runStep?: (args: readonly string[], env: NodeJS.ProcessEnv, log: string) => Promise<number>;
}

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'taegis-migrate.mjs');

/** This program's command in a child process, its output into `log`; resolves its exit code (a signal counts as 1). */
function runProgramStep(args: readonly string[], env: NodeJS.ProcessEnv, log: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (err) => {
      writeFileSync(log, `${text}\n${err.message}\n`);
      resolve(1);
    });
    child.on('close', (code) => {
      writeFileSync(log, text);
      resolve(code ?? 1);
    });
  });
}

const tailOf = (file: string, lines = 15): string =>
  existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';

/** `ci shard`'s flags after the parser's checks (lib/cli/definition/ci.ts). */
export interface ShardOptions {
  readonly config: string;
  readonly wave: string | undefined;
  readonly shard: number | undefined;
  readonly phase: ShardPhase;
  readonly credentialSource: 'EcsContainer' | 'Environment' | undefined;
  /** Verify's log wait, in seconds. */
  readonly logTimeout: number;
}

/** `taegis-migrate ci shard`, after its flags were read. */
export async function runShard(options: ShardOptions, deps: ShardDeps): Promise<ExitCode> {
  const { out } = deps;
  const cwd = deps.cwd ?? process.cwd();
  const baseEnv = deps.env ?? process.env;
  const { phase, credentialSource: source } = options;
  const configFile = path.resolve(cwd, options.config);
  const config = loadConfig(configFile);
  const wave = waveOf(config, options.wave);
  const index = options.shard ?? -1;
  const targets = wave.shards[index];
  if (targets === undefined) {
    throw new TaegisError(
      'INPUT_INVALID',
      `--shard ${options.shard ?? '(missing)'} is not a shard of wave ${wave.name}`,
      {
        fix: `use 0 to ${wave.shards.length - 1}`,
      },
    );
  }

  const reports = path.join(cwd, REPORTS_DIR);
  for (const d of ['ci', 'junit', 'logs']) mkdirSync(path.join(reports, d), { recursive: true });
  const env = { ...baseEnv };
  const profile = (kind: 'plan' | 'verify', t: Target) => `taegis-${kind}-${targetSlug(t)}`;
  if (source !== undefined) {
    // One profile per target and step, in a config file of this shard's own (the user's ~/.aws/config included).
    const qualifier = cdkJsonContext()['@aws-cdk/core:bootstrapQualifier'];
    const file = path.join(reports, 'logs', `aws-config-${wave.name}-${index}`);
    const own = baseEnv.AWS_CONFIG_FILE ?? path.join(homedir(), '.aws', 'config');
    const lines = targets.flatMap((t) => [
      profileLines(
        profile('plan', t),
        roleArn(t, bootstrapDeployRoleName(t, typeof qualifier === 'string' ? qualifier : undefined)),
        source,
      ),
      profileLines(profile('verify', t), roleArn(t, verifyRoleNameOf(config)), source),
    ]);
    writeFileSync(file, `${existsSync(own) ? `${readFileSync(own, 'utf8')}\n` : ''}${lines.join('')}`);
    env.AWS_CONFIG_FILE = file;
  }
  const runStep = deps.runStep ?? runProgramStep;
  const firstOfAccount = (t: Target) => targets.find((o) => o.account === t.account) === t;

  out(
    `wave ${wave.name}, shard ${index + 1} of ${wave.shards.length}, ${phase}: ${targets.length} target(s), ${wave.perShardConcurrency} at once`,
  );
  const results = await mapLimit(targets, wave.perShardConcurrency, async (t): Promise<TargetResult> => {
    const slug = targetSlug(t);
    const where = ['--config', configFile, '--account', t.account, '--region', t.region];
    const withProfile = (kind: 'plan' | 'verify') => (source !== undefined ? ['--profile', profile(kind, t)] : []);
    const steps: { step: StepName; args: string[] }[] = [
      {
        step: 'plan',
        args: ['plan', ...where, '--json', path.join(reports, `plan-${slug}.json`), ...withProfile('plan')],
      },
    ];
    if (phase === 'apply') {
      steps.push(
        { step: 'deploy', args: ['deploy', ...where, '--account-stacks', firstOfAccount(t) ? 'include' : 'skip'] },
        {
          step: 'verify',
          args: [
            'verify',
            ...where,
            '--junit',
            path.join(reports, 'junit', `verify-${slug}.xml`),
            '--json',
            path.join(reports, `verify-${slug}.json`),
            '--log-timeout',
            String(options.logTimeout),
            ...withProfile('verify'),
          ],
        },
      );
    }
    const done: StepResult[] = [];
    for (const s of steps) {
      const log = path.join(reports, 'logs', `${slug}-${s.step}.log`);
      const start = Date.now();
      const exitCode = await runStep(s.args, env, log);
      done.push({ step: s.step, exitCode, seconds: Math.round((Date.now() - start) / 1000), tail: tailOf(log) });
      out(`${targetName(t)}  ${s.step}  ${exitCode === 0 ? 'pass' : `FAIL (exit ${exitCode})`}`);
      // A failed step ends this target (deploy after a failed plan, verify after a failed deploy would mislead).
      if (exitCode !== 0) {
        return {
          target: targetName(t),
          account: t.account,
          region: t.region,
          result: 'fail',
          reason: `${s.step} exit ${exitCode}`,
          steps: done,
        };
      }
    }
    return { target: targetName(t), account: t.account, region: t.region, result: 'pass', steps: done };
  });
  const result: ShardResult = { wave: wave.name, shard: index, phase, targets: results };
  writeFileSync(
    path.join(reports, 'ci', `${wave.name}-${phase}-${index}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  writeFileSync(path.join(reports, 'junit', `${wave.name}-${phase}-${index}.xml`), shardJunit(result));
  const failed = results.filter((r) => r.result === 'fail');
  out(`shard done: ${results.length - failed.length} passed, ${failed.length} failed (the gate applies the tolerance)`);
  return ExitCode.Ok;
}

function profileLines(name: string, role: string, source: 'EcsContainer' | 'Environment'): string {
  // The same profile text the single-target steps wrote with assumeRoleProfile, without its shell wrapping.
  const shell = assumeRoleProfile(name, role, source);
  const printed = /printf '(.*)' >>/.exec(shell)?.[1] ?? '';
  return printed.replace(/\\n/g, '\n');
}

const xml = (s: string): string =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/** A JUnit test suite per target (name `<account>/<region>`), a test case per step it ran. */
export function shardJunit(result: ShardResult): string {
  const suites = result.targets.map((t) => {
    const failures = t.steps.filter((s) => s.exitCode !== 0).length;
    const cases = t.steps.map((s) => {
      const body =
        s.exitCode === 0 ? '' : `<failure message="${xml(`${s.step} exit ${s.exitCode}`)}">${xml(s.tail)}</failure>`;
      return `    <testcase classname="${xml(`${result.wave}.${t.target}`)}" name="${s.step}" time="${s.seconds}">${body}</testcase>`;
    });
    return [
      `  <testsuite name="${xml(t.target)}" tests="${t.steps.length}" failures="${failures}">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(`taegis-migrate ${result.wave} ${result.phase} shard ${result.shard}`)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export interface GateReport {
  readonly wave: string;
  readonly targets: number;
  readonly failed: number;
  readonly tolerance: string;
  readonly allowedFailures: number;
  readonly passed: boolean;
  readonly failures: readonly { readonly target: string; readonly reason: string }[];
}

/** `taegis-migrate ci gate`, after its flags were read. */
export function runGate(
  options: { readonly config: string; readonly wave: string | undefined; readonly results: string },
  deps: { out: (t: string) => void; cwd?: string },
): ExitCode {
  const { out } = deps;
  const cwd = deps.cwd ?? process.cwd();
  const config = loadConfig(path.resolve(cwd, options.config));
  const wave = waveOf(config, options.wave);
  const dir = path.resolve(cwd, options.results);
  const byTarget = new Map<string, TargetResult>();
  const prefix = `${wave.name}-apply-`;
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (!f.startsWith(prefix) || !f.endsWith('.json')) continue;
    const shard = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ShardResult;
    for (const t of shard.targets) byTarget.set(t.target, t);
  }
  const failures = wave.targets.flatMap((t) => {
    const r = byTarget.get(targetName(t));
    if (r === undefined) return [{ target: targetName(t), reason: 'no result: its shard did not finish' }];
    return r.result === 'fail' ? [{ target: r.target, reason: r.reason ?? 'failed' }] : [];
  });
  const total = wave.targets.length;
  const passed = !toleranceExceeded(wave.tolerance, total, failures.length);
  const report: GateReport = {
    wave: wave.name,
    targets: total,
    failed: failures.length,
    tolerance: formatFailureTolerance(wave.tolerance),
    allowedFailures: allowedFailures(wave.tolerance, total),
    passed,
    failures,
  };
  mkdirSync(path.join(cwd, REPORTS_DIR), { recursive: true });
  writeFileSync(path.join(cwd, REPORTS_DIR, `${wave.name}-gate.json`), `${JSON.stringify(report, null, 2)}\n`);
  for (const f of failures) out(`FAIL  ${f.target}  ${f.reason}`);
  out(
    `wave ${wave.name}: ${total - failures.length} of ${total} target(s) passed, ${failures.length} failed; tolerance ${report.tolerance} (${report.allowedFailures} may fail): ${passed ? 'pass' : 'FAIL, the next wave does not start'}`,
  );
  return passed ? ExitCode.Ok : ExitCode.CheckFailed;
}
