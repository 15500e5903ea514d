import { ACCOUNT, AWS_FLAGS, CONFIG, fleetFlags, HELP, JSON_OUT, REGION } from './shared.js';
import { defineCommand } from './types.js';

/** `--require-approval`: the CDK CLI's levels. */
export const REQUIRE_APPROVAL_VALUES = ['never', 'any-change', 'broadening'] as const;

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'deploy the staging, shared and Lambda stacks (credentials never on a command line)',
  usage: ['taegis-migrate deploy [flags]'],
  description:
    'Deploys the staging, shared and Lambda stacks in-process with the CDK toolkit. The shared stacks get SecretValue from credentials.txt through the SDK: the credentials never appear on a command line, in cdk.out or in any output. Every target is its own deploy: a target that fails (a role that cannot be assumed, a stack that fails) is reported and the others go on.',
  flags: {
    config: CONFIG,
    region: REGION,
    account: {
      ...ACCOUNT,
      description:
        'only this account (repeatable, or a comma list); other accounts are reached through their CDK bootstrap roles (cdk bootstrap --trust <this account>, see docs "Organizations")',
    },
    ...AWS_FLAGS,
    stack: {
      type: 'list',
      value: 'PATTERN',
      split: false,
      description: 'only stacks whose construct id matches (repeatable; glob), e.g. "TaegisShared-*"',
    },
    exclusively: { type: 'boolean', description: 'do not also deploy the stacks the selected ones depend on' },
    'account-stacks': {
      type: 'choice',
      choices: ['include', 'skip'],
      defaultText: 'include',
      description:
        'whether the default selection also deploys the per-account stacks (TaegisAccess-<account>, TaegisGitHubOidc-<account>); the generated workflow skips them in all but one job per account of a wave (not with --stack)',
    },
    method: {
      type: 'choice',
      choices: ['change-set', 'direct'],
      default: 'change-set',
      description: 'how CloudFormation applies changes',
    },
    'no-previous-parameters': {
      type: 'boolean',
      description: 'do not keep deployed values of parameters this deploy does not set',
    },
    output: {
      type: 'string',
      value: 'DIR',
      defaultText: 'a temporary folder, removed',
      description: 'keep the synthesized cloud assembly in DIR',
    },
    'require-approval': {
      type: 'choice',
      choices: REQUIRE_APPROVAL_VALUES,
      defaultText: 'broadening when stdin is a terminal, never otherwise (CI)',
      description:
        'stop for a yes/no on security-sensitive changes, as the CDK CLI does: any-change on any IAM/security change, broadening when permissions widen. Without a terminal to ask, a change that needs approval stops the deploy (exit 1)',
    },
    ...fleetFlags('targets (account/region) deployed at once', '4; 1 when a terminal is asked for approval'),
    json: JSON_OUT,
    help: HELP,
  },
  exit: '0 deployed (or no more targets failed than tolerated), 1 more targets failed or were not approved than tolerated, 2 bad input (nothing was called).',
});
