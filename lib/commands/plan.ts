import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { targetsOf } from '../aws/accounts.js';
import { plan as planCommand } from '../cli/definition/plan.js';
import { configPathFrom, isStdout } from '../cli/flags.js';
import { parseCommand } from '../cli/parse.js';
import { createOutput } from '../cli/output.js';
import { outputFileProblem } from '../cli/output-path.js';
import { openAccountSession, type SessionDeps } from '../cli/session.js';
import { selectAccounts, selectRegions } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, invalidInput } from '../util/errors.js';
import { readAssembly } from '../plan/assembly.js';
import { buildApp } from '../app/app.js';
import { formatPlanReport, plan, planJson, stackFails, type PlanOptions, type PlanReport } from '../plan/plan.js';
import type { StackPlan } from '../plan/changeset.js';
import {
  fleetFlags,
  fleetWaves,
  formatFleetSummary,
  formatWaves,
  notStartedRows,
  runWaves,
  writeFleetSummary,
  type FleetRow,
  type FleetWave,
  type TargetOutcome,
} from '../cli/fleet.js';
import { targetName, type Target } from '../config/pipeline.js';

/** Things plan needs from outside; tests pass their own. */
export interface PlanCliDeps extends SessionDeps {
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly planOptions?: PlanOptions;
}

/** `taegis-migrate plan`: config first (exit 2 before any AWS call), then synth or --assembly, then one change set per stack. */
export async function planMain(argv: readonly string[], deps: PlanCliDeps = {}): Promise<ExitCode> {
  const output = createOutput(deps.out ? { stdout: deps.out } : {});
  const { out } = output;
  const env = deps.env ?? process.env;
  const { values, help } = parseCommand(planCommand, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  // The report file is checked first: finding it unwritable after every change set was made and deleted wastes the run.
  const jsonToFile = values.json !== undefined && !isStdout(values.json);
  const jsonProblem = jsonToFile ? outputFileProblem('--json', values.json!) : undefined;
  const problems = jsonProblem ? [jsonProblem] : [];
  const fleet = fleetFlags(values, problems);
  if (problems.length > 0) throw invalidInput('INPUT_INVALID', 'flags', problems);
  const roleName = values['role-name'];
  const configPath = path.resolve(configPathFrom(values.config));
  const fullConfig = loadConfig(configPath, { templateProblems: true });
  const config = selectRegions(selectAccounts(fullConfig, values.account), values.region);
  const waves = fleetWaves(fullConfig, config, fleet, deps.planOptions?.concurrency ?? 4);

  let tmp: string | undefined;
  const session = openAccountSession({ command: 'plan', flags: values, env, deps });
  try {
    let dir = values.assembly;
    if (dir === undefined) {
      // In-process, as `taegis-migrate deploy` does: the same app and checks as `cdk synth`, and a bad config or vendor
      // file surfaces as the app's own error (exit 2) before any AWS call. nag judges our stacks, not the plan.
      tmp = mkdtempSync(path.join(tmpdir(), 'taegis-plan-'));
      const built = await buildApp(config, {
        appProps: { outdir: tmp, builtinCloudFormationValidation: false },
        nag: false,
        pipeline: false,
        warn: output.err,
      });
      dir = built.app.synth().directory;
    }
    const assembly = readAssembly(dir);
    await session.preflight(config.regions[0]?.region ?? 'us-east-1');
    // Every account reachable (or bad input, exit 2) before the first change set; only STS is asked here.
    const { clientsFor, unreachable } = await session.route(targetsOf(config), roleName);
    const multiAccount = new Set(config.regions.map((r) => r.account)).size > 1;
    const run = await runWaves(waves, async (wave) => {
      const inWave = new Set(wave.targets.map((t) => targetName(t)));
      const part = await plan(
        session.clients,
        { ...config, regions: config.regions.filter((r) => inWave.has(targetName(r))) },
        assembly,
        {
          ...deps.planOptions,
          concurrency: wave.concurrency,
          clientsFor,
          unreachable,
          ...(values['no-previous-parameters'] ? { previousParameters: false } : {}),
          ...(multiAccount ? { labelAccounts: true } : {}),
        },
      );
      return { result: part, targets: planTargets(wave.targets, part.stacks) };
    });
    const stacks = run.results.flatMap((r) => r.stacks);
    const tolerant = waves.length > 1 || fleet.tolerance !== undefined || waves.some((w) => w.name !== 'all');
    const report: PlanReport = {
      result: (tolerant ? run.exceeded : stacks.some(stackFails)) ? 'fail' : 'pass',
      stacks,
      ...(tolerant ? { waves: run.waves } : {}),
    };
    const exitCode = report.result === 'pass' ? ExitCode.Ok : ExitCode.CheckFailed;
    output.report(planJson(report), values.json, {
      text: [formatPlanReport(report), ...(tolerant ? [formatWaves(run.waves)] : [])],
      announce: true,
    });
    const rows = [
      ...planRows(stacks, waves, config.regions[0]!.account),
      ...notStartedRows(waves, run.waves, (t) =>
        config.regions
          .filter((r) => targetName(r) === targetName(t))
          .flatMap((r) => r.lambdaStacks.map((s) => s.stackName)),
      ),
    ];
    writeFleetSummary(formatFleetSummary({ command: 'plan', rows, waves: run.waves, exitCode }), fleet.summary, env);
    return exitCode;
  } finally {
    session.close();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

/** A target fails when one of its stacks fails the plan; the first such stack is its reason. */
function planTargets(targets: readonly Target[], stacks: readonly StackPlan[]): TargetOutcome[] {
  return targets.map((t) => {
    const first = stacks.find(
      (s) => s.region === t.region && (s.account === undefined || s.account === t.account) && stackFails(s),
    );
    return {
      ...t,
      failed: first !== undefined,
      ...(first ? { reason: `${first.stackName}: ${planReason(first)}` } : {}),
    };
  });
}

function planReason(s: StackPlan): string {
  if (s.state === 'missing') return 'stack does not exist';
  return s.error ?? s.findings.find((f) => f.severity === 'fail')?.message ?? 'fails the plan';
}

/** The fleet summary's rows: one per stack, its plan the one step. */
function planRows(stacks: readonly StackPlan[], waves: readonly FleetWave[], onlyAccount: string): FleetRow[] {
  return stacks.map((s): FleetRow => {
    const account = s.account ?? onlyAccount;
    const fails = stackFails(s);
    return {
      wave: waves.find((w) => w.targets.some((t) => t.account === account && t.region === s.region))?.name ?? '-',
      account,
      region: s.region,
      stack: s.stackName,
      steps: [{ name: 'plan', status: fails ? 'fail' : s.findings.length > 0 ? 'warn' : 'pass' }],
      result: fails ? 'fail' : 'pass',
      ...(fails ? { failedStep: 'plan', reason: planReason(s) } : {}),
    };
  });
}
