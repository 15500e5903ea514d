import * as path from 'node:path';
import { loadAppConfig } from '../taegis-config.js';
import { ACCOUNT_STACKS_CHOICES, deployApp, type AccountStacksChoice } from '../deploy.js';
import { ExitCode, invalidInput, type Problem } from '../errors.js';
import {
  askOnTerminal,
  defaultRequireApproval,
  REQUIRE_APPROVAL_VALUES,
  type RequireApproval,
} from '../cli/approval.js';
import { COMMON_FLAGS, COMMON_HELP, configPathFrom, listFlag } from '../cli/flags.js';
import { outputDirProblem } from '../cli/output-path.js';
import { preflight } from '../cli/preflight.js';
import { clientsFromFlags, endpointFrom, parseFlags, setInterruptContext } from '../cli/run.js';
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
${COMMON_HELP.help}
Exit: 0 deployed, 1 a stack failed or was not approved, 2 bad input (nothing was called).`;

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
  const { values } = parseFlags(argv, {
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
  if (problems.length > 0) throw invalidInput('INPUT_INVALID', 'flags', problems);

  const stdinIsTty = deps.stdinIsTty ?? process.stdin.isTTY === true;
  const requireApproval = (approval as RequireApproval | undefined) ?? defaultRequireApproval(stdinIsTty);
  const endpoint = endpointFrom(values['endpoint-url'], env);
  // Our clients use the endpoint as given; the toolkit's SDK reads its override from the environment, as the CDK CLI
  // does, spelled so an emulator finds the template it uploads (toolkitEndpoint).
  const clients = clientsFromFlags(values, env);
  if (endpoint !== undefined) {
    const toolkit = toolkitEndpoint(endpoint);
    if (toolkit.note) process.stderr.write(`${toolkit.note}\n`);
    env.AWS_ENDPOINT_URL = toolkit.endpoint;
  }
  try {
    const config = loadAppConfig(configPathFrom(values.config));
    setInterruptContext({ inFlight: 'a stack deploy already started goes on in CloudFormation (see its events)' });
    const result = await deployApp(config, {
      regions: listFlag(values.region),
      accounts: listFlag(values.account),
      stacks: values.stack ?? [],
      exclusively: values.exclusively,
      ...(accountStacks !== undefined ? { accountStacks: accountStacks as AccountStacksChoice } : {}),
      method: values.method as 'change-set' | 'direct',
      previousParameters: !values['no-previous-parameters'],
      requireApproval,
      ...(stdinIsTty ? { ask: askOnTerminal } : {}),
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      ...(values.output !== undefined ? { outdir: path.resolve(values.output) } : {}),
      beforeAws: () => preflight(clients, config.regions[0]?.region ?? 'us-east-1'),
      warn: (message) => process.stderr.write(`${message}\n`),
    });
    if (result.stacks.length === 0) out('deployed: (nothing)');
    for (const s of result.stacks) out(`deployed ${s.stackName} in ${s.region} (account ${s.account})`);
    return ExitCode.Ok;
  } finally {
    clients.destroy();
  }
}
