import { ACCOUNT, AWS_FLAGS, CONFIG, fleetFlags, HELP, JSON_OUT, REGION, ROLE_NAME } from './shared.js';
import { defineCommand } from './types.js';

export const plan = defineCommand({
  name: 'plan',
  summary: 'one CloudFormation change set per Lambda stack: what deploy would change (nothing executed)',
  usage: ['taegis-migrate plan [flags]'],
  description:
    'Synthesizes the app (or reads --assembly DIR), creates one CloudFormation change set per configured Lambda stack, prints Action, LogicalResourceId, ResourceType and Replacement, and deletes every change set again. Nothing is executed. Parameters are chosen as the deploy chooses them: a stack keeps its value of a parameter the template leaves to a default, unless --no-previous-parameters (plan a deploy run with that flag). The target regions must be CDK-bootstrapped (the templates check BootstrapVersion). A target (account/region) fails when one of its stacks does; with --failure-tolerance the run fails only past it.',
  flags: {
    config: CONFIG,
    region: REGION,
    account: ACCOUNT,
    'role-name': {
      ...ROLE_NAME,
      description: `${ROLE_NAME.description} (a read-only role is enough for plan)`,
    },
    assembly: {
      type: 'string',
      value: 'DIR',
      description: 'plan an existing cloud assembly (cdk.out) instead of synthesizing',
    },
    'no-previous-parameters': { type: 'boolean', description: 'plan a deploy run with --no-previous-parameters' },
    ...fleetFlags('stacks planned at once', "4, or the wave's maxConcurrency"),
    json: JSON_OUT,
    ...AWS_FLAGS,
    help: HELP,
  },
  exit: '0 safe to deploy (or no more targets failed than tolerated), 1 the function or its trigger path would be replaced/removed, a stack is missing or could not be planned, 2 bad input (config, flags, vendor files, output path; nothing was called).',
});
