import * as path from 'node:path';
import { loadConfig } from '../config/load.js';
import {
  ACCOUNT_STACKS_CHOICES,
  deployApp,
  type AccountStacksChoice,
  type DeployAppResult,
  type TargetDeploy,
} from '../deploy/engine.js';
import { ExitCode, invalidInput, TaegisError, type Problem } from '../util/errors.js';
import {
  FLEET_FLAGS,
  fleetFlags,
  fleetHelp,
  fleetWaves,
  formatFailedRows,
  formatFleetSummary,
  formatWaves,
  writeFleetSummary,
  type FleetRow,
} from '../cli/fleet.js';
import { selectAccounts, selectRegions } from '../config/load.js';
import {
  askOnTerminal,
  defaultRequireApproval,
  REQUIRE_APPROVAL_VALUES,
  type RequireApproval,
} from '../cli/approval.js';
import { COMMON_FLAGS, COMMON_HELP, configPathFrom, isStdout, listFlag, withOptionalValue } from '../cli/flags.js';
import { outputDirProblem, outputFileProblem, writeOutputFile } from '../cli/output-path.js';
import { endpointFrom, parseFlags, setInterruptContext } from '../cli/run.js';
import { openAccountSession } from '../cli/session.js';
import { toolkitEndpoint } from '../emulator/moto.js';

export const DEPLOY_USAGE = `usage: taegis-migrate deploy [flags]          (npm run deploy -- [flags] is the same)

Deploys the staging, shared and Lambda stacks in-process with the CDK toolkit. The shared stacks get SecretValue
from credentials.txt through the SDK: the credentials never appear on a command line, in cdk.out or in any output.
${COMMON_HELP.config}
${COMMON_HELP.region}
  --account A               only this account (repeatable, or a comma list); other accounts are reached through
                            their CDK bootstrap roles (cdk bootstrap --trust <this account>, see README "Organizations")
${COMMON_HELP.profile}
${COMMON_HELP['endpoint-url']}
  --stack PATTERN           only stacks whose construct id matches (repeatable; glob), e.g. "TaegisShared-*"
  --exclusively             do not also deploy the stacks the selected ones depend on
  --account-stacks include|skip
                            whether the default selection also deploys the per-account stacks (TaegisAccess-<account>,
                            TaegisGitHubOidc-<account>); the generated workflow skips them in all but one job per
                            account of a wave (default include; not with --stack)
  --method change-set|direct  how CloudFormation applies changes (default change-set)
  --no-previous-parameters  do not keep deployed values of parameters this deploy does not set
  --output DIR              keep the synthesized cloud assembly in DIR (default: a temporary folder, removed)
  --require-approval never|any-change|broadening
                            stop for a yes/no on security-sensitive changes, as the CDK CLI does: any-change on any
                            IAM/security change, broadening when permissions widen. Default: broadening when stdin is
                            a terminal, never otherwise (CI). Without a terminal to ask, a change that needs approval
                            stops the deploy (exit 1)
${fleetHelp('targets (account/region) deployed at once (default 4; 1 when a terminal is asked for approval)')}
${COMMON_HELP.json}
${COMMON_HELP.help}
Every target is its own deploy: a target that fails (a role that cannot be assumed, a stack that fails) is reported
and the others go on.
Exit: 0 deployed (or no more targets failed than tolerated), 1 more targets failed or were not approved than
tolerated, 2 bad input (nothing was called).`;

export interface DeployCliDeps {
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** @default process.stdin.isTTY */
  readonly stdinIsTty?: boolean;
}

/** `taegis-migrate deploy`: every flag, the config and the vendor files are checked before the first AWS call. */
export async function deployMain(argv: readonly string[], deps: DeployCliDeps = {}): Promise<ExitCode> {
  const out = deps.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const env = deps.env ?? process.env;
  const { values } = parseFlags(withOptionalValue(argv, '--json'), {
    config: COMMON_FLAGS.config,
    region: COMMON_FLAGS.region,
    account: { type: 'string', multiple: true },
    profile: COMMON_FLAGS.profile,
    'endpoint-url': COMMON_FLAGS['endpoint-url'],
    help: COMMON_FLAGS.help,
    stack: { type: 'string', multiple: true },
    exclusively: { type: 'boolean', default: false },
    'account-stacks': { type: 'string' },
    method: { type: 'string', default: 'change-set' },
    'no-previous-parameters': { type: 'boolean', default: false },
    output: { type: 'string' },
    'require-approval': { type: 'string' },
    json: COMMON_FLAGS.json,
    ...FLEET_FLAGS,
  });
  if (values.help) {
    out(DEPLOY_USAGE);
    return ExitCode.Ok;
  }
  const problems: Problem[] = [];
  if (values.method !== 'change-set' && values.method !== 'direct') {
    problems.push({
      path: '--method',
      message: `"${values.method}" is not a deployment method`,
      fix: 'use change-set or direct',
    });
  }
  const approval = values['require-approval'];
  if (approval !== undefined && !(REQUIRE_APPROVAL_VALUES as readonly string[]).includes(approval)) {
    problems.push({
      path: '--require-approval',
      message: `"${approval}" is not one of ${REQUIRE_APPROVAL_VALUES.join(', ')}`,
      fix: 'use never (CI), any-change or broadening',
    });
  }
  const accountStacks = values['account-stacks'];
  if (accountStacks !== undefined && !(ACCOUNT_STACKS_CHOICES as readonly string[]).includes(accountStacks)) {
    problems.push({
      path: '--account-stacks',
      message: `"${accountStacks}" is not one of ${ACCOUNT_STACKS_CHOICES.join(', ')}`,
      fix: 'use include (the default) or skip',
    });
  } else if (accountStacks !== undefined && (values.stack ?? []).length > 0) {
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
  const requireApproval = (approval as RequireApproval | undefined) ?? defaultRequireApproval(stdinIsTty);
  const endpoint = endpointFrom(values['endpoint-url'], env);
  // Our clients use the endpoint as given; the toolkit's SDK reads its override from the environment, as the CDK CLI
  // does, spelled so an emulator finds the template it uploads (toolkitEndpoint).
  const session = openAccountSession({ command: 'deploy', flags: values, env, multiAccount: false });
  if (endpoint !== undefined) {
    const toolkit = toolkitEndpoint(endpoint);
    if (toolkit.note) process.stderr.write(`${toolkit.note}\n`);
    env.AWS_ENDPOINT_URL = toolkit.endpoint;
  }
  try {
    const config = loadConfig(configPathFrom(values.config));
    setInterruptContext({ inFlight: 'a stack deploy already started goes on in CloudFormation (see its events)' });
    const accountsWanted = listFlag(values.account);
    const regionsWanted = listFlag(values.region);
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
      stacks: values.stack ?? [],
      exclusively: values.exclusively,
      ...(accountStacks !== undefined ? { accountStacks: accountStacks as AccountStacksChoice } : {}),
      method: values.method as 'change-set' | 'direct',
      previousParameters: !values['no-previous-parameters'],
      requireApproval,
      ...(stdinIsTty ? { ask: askOnTerminal } : {}),
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      ...(values.output !== undefined ? { outdir: path.resolve(values.output) } : {}),
      beforeAws: () => session.preflight(config.regions[0]?.region ?? 'us-east-1'),
      warn: (message) => process.stderr.write(`${message}\n`),
      waves,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    const exitCode = result.exceeded ? ExitCode.CheckFailed : ExitCode.Ok;
    const rows = deployRows(result.targets);
    if (isStdout(values.json)) out(deployJson(result, rows, exitCode).trimEnd());
    else {
      if (result.stacks.length === 0) out('deployed: (nothing)');
      for (const s of result.stacks) out(`deployed ${s.stackName} in ${s.region} (account ${s.account})`);
      const failedTable = formatFailedRows(rows);
      if (failedTable !== '') out(`\nfailed targets:\n${failedTable}`);
      if (waves.length > 1 || result.targets.some((t) => t.error !== undefined)) out(formatWaves(result.waves));
    }
    if (values.json !== undefined && !isStdout(values.json))
      writeOutputFile(values.json, deployJson(result, rows, exitCode));
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
