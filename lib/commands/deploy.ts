import * as path from 'node:path';
import { loadConfig } from '../config/load.js';
import { deployApp, type DeployAppResult, type TargetDeploy } from '../deploy/engine.js';
import { ExitCode, invalidInput, TaegisError, type Problem } from '../util/errors.js';
import {
  fleetFlags,
  fleetWaves,
  formatFailedRows,
  formatFleetSummary,
  formatWaves,
  writeFleetSummary,
  type FleetRow,
} from '../cli/fleet.js';
import { selectAccounts, selectRegions } from '../config/load.js';
import { askOnTerminal, defaultRequireApproval } from '../cli/approval.js';
import { deploy } from '../cli/definition/deploy.js';
import { configPathFrom, isStdout } from '../cli/flags.js';
import { parseCommand } from '../cli/parse.js';
import { createOutput } from '../cli/output.js';
import { outputDirProblem, outputFileProblem } from '../cli/output-path.js';
import { endpointFrom, setInterruptContext } from '../cli/run.js';
import { openAccountSession } from '../cli/session.js';
import { toolkitEndpoint } from '../emulator/moto.js';

export interface DeployCliDeps {
  readonly out?: (text: string) => void;
  /**
   * Our lines for stderr (progress per target, warnings, a change awaiting approval); the toolkit's own messages go
   * to process.stderr through its IoHost.
   * @default process.stderr
   */
  readonly err?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** @default process.stdin.isTTY */
  readonly stdinIsTty?: boolean;
}

/** `taegis-migrate deploy`: every flag, the config and the vendor files are checked before the first AWS call. */
export async function deployMain(argv: readonly string[], deps: DeployCliDeps = {}): Promise<ExitCode> {
  const output = createOutput({
    ...(deps.out ? { stdout: deps.out } : {}),
    ...(deps.err ? { stderr: deps.err } : {}),
  });
  const { out } = output;
  const env = deps.env ?? process.env;
  const { values, help } = parseCommand(deploy, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  const problems: Problem[] = [];
  const approval = values['require-approval'];
  const accountStacks = values['account-stacks'];
  if (accountStacks !== undefined && values.stack.length > 0) {
    problems.push({
      path: '--account-stacks',
      message: 'chooses within the default selection, and --stack replaces that selection',
      fix: 'give either --stack patterns or --account-stacks',
    });
  }
  const outputProblem = values.output === undefined ? undefined : outputDirProblem('--output', values.output);
  if (outputProblem) problems.push(outputProblem);
  const fleet = fleetFlags(values, problems);
  const jsonProblem =
    values.json !== undefined && !isStdout(values.json) ? outputFileProblem('--json', values.json) : undefined;
  if (jsonProblem) problems.push(jsonProblem);
  if (problems.length > 0) throw invalidInput('INPUT_INVALID', 'flags', problems);

  const stdinIsTty = deps.stdinIsTty ?? process.stdin.isTTY === true;
  const requireApproval = approval ?? defaultRequireApproval(stdinIsTty);
  const endpoint = endpointFrom(values['endpoint-url'], env);
  // Our clients use the endpoint as given; the toolkit's SDK reads its override from the environment, as the CDK CLI
  // does, spelled so an emulator finds the template it uploads (toolkitEndpoint).
  const session = openAccountSession({ command: 'deploy', flags: values, env, multiAccount: false });
  if (endpoint !== undefined) {
    const toolkit = toolkitEndpoint(endpoint);
    if (toolkit.note) output.err(toolkit.note);
    env.AWS_ENDPOINT_URL = toolkit.endpoint;
  }
  try {
    const config = loadConfig(configPathFrom(values.config));
    setInterruptContext({ inFlight: 'a stack deploy already started goes on in CloudFormation (see its events)' });
    const accountsWanted = values.account;
    const regionsWanted = values.region;
    const asking = stdinIsTty && requireApproval !== 'never';
    const waves = fleetWaves(
      config,
      selectRegions(selectAccounts(config, accountsWanted), regionsWanted),
      fleet,
      asking ? 1 : 4,
    );
    const result = await deployApp(config, {
      regions: regionsWanted,
      accounts: accountsWanted,
      stacks: values.stack,
      exclusively: values.exclusively,
      ...(accountStacks !== undefined ? { accountStacks } : {}),
      method: values.method,
      previousParameters: !values['no-previous-parameters'],
      requireApproval,
      ...(stdinIsTty ? { ask: askOnTerminal } : {}),
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      ...(values.output !== undefined ? { outdir: path.resolve(values.output) } : {}),
      beforeAws: () => session.preflight(config.regions[0]?.region ?? 'us-east-1'),
      warn: output.err,
      say: output.err,
      waves,
      progress: output.err,
    });
    const exitCode = result.exceeded ? ExitCode.CheckFailed : ExitCode.Ok;
    const rows = deployRows(result.targets);
    const failedTable = formatFailedRows(rows);
    output.report(deployJson(result, rows, exitCode), values.json, {
      text: [
        ...(result.stacks.length === 0 ? ['deployed: (nothing)'] : []),
        ...result.stacks.map((s) => `deployed ${s.stackName} in ${s.region} (account ${s.account})`),
        ...(failedTable !== '' ? [`\nfailed targets:\n${failedTable}`] : []),
        ...(waves.length > 1 || result.targets.some((t) => t.error !== undefined) ? [formatWaves(result.waves)] : []),
      ],
    });
    writeFleetSummary(
      formatFleetSummary({ command: 'deploy', rows, waves: result.waves, exitCode }),
      fleet.summary,
      env,
    );
    if (!result.exceeded) return ExitCode.Ok;
    // One failed target: its own error (message and fix) is the run's. Several: how many, and the first reason.
    const failed = result.targets.filter((t) => t.error !== undefined);
    if (failed.length === 1 && failed[0]!.error instanceof TaegisError) throw failed[0]!.error;
    throw new TaegisError(
      'CHECK_FAILED',
      `deploy failed in ${failed.length} of ${result.targets.filter((t) => !t.notStarted).length} target(s) attempted, more than tolerated; first: account ${failed[0]?.account} region ${failed[0]?.region}: ${failed[0]?.reason}`,
      {
        fix: 'fix the causes listed above (the summary has each target), then deploy those targets again (--account/--region)',
      },
    );
  } finally {
    session.close();
  }
}

/** The fleet summary's rows: one per stack of each target, or one for a target that deployed nothing. */
export function deployRows(targets: readonly TargetDeploy[]): FleetRow[] {
  return targets.flatMap((t) => {
    const result = t.notStarted ? 'not-started' : t.error !== undefined ? 'fail' : 'pass';
    const status = result === 'fail' ? 'fail' : 'pass';
    const names = t.names.length > 0 ? t.names : ['-'];
    return names.map((stack): FleetRow => ({
      wave: t.wave,
      account: t.account,
      region: t.region,
      stack,
      steps: result === 'not-started' ? [] : [{ name: 'deploy', status }],
      result,
      ...(result === 'fail' ? { failedStep: 'deploy', reason: t.reason ?? 'failed' } : {}),
    }));
  });
}

/** `--json`: every target's deploy and each wave's outcome. */
export function deployJson(result: DeployAppResult, rows: readonly FleetRow[], exitCode: number): string {
  return `${JSON.stringify(
    {
      tool: 'taegis-migrate deploy',
      exitCode,
      waves: result.waves,
      targets: result.targets.map((t) => ({
        wave: t.wave,
        account: t.account,
        region: t.region,
        stacks: t.names,
        result: t.notStarted ? 'not-started' : t.error !== undefined ? 'fail' : 'pass',
        deployed: t.deployed.map((s) => s.stackName),
        ...(t.reason !== undefined ? { reason: t.reason } : {}),
      })),
      rows,
    },
    null,
    2,
  )}\n`;
}
