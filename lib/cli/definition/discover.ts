import { AWS_FLAGS, HELP, JSON_OUT, REGION, ROLE_NAME } from './shared.js';
import { defineCommand } from './types.js';

export const discover = defineCommand({
  name: 'discover',
  summary: 'find the existing Taegis stacks in your regions; --write drafts the config (read-only)',
  usage: ['taegis-migrate discover (--region R1,R2 | --all-regions) [flags]'],
  description:
    'Finds the existing Taegis Lambda stacks (by template description, parameters, or a function named *-scwx-tdr-lambda-*) and the shared-resources stack in each region. Read-only: no write call to AWS.',
  flags: {
    region: { ...REGION, description: 'the regions to look in (repeatable, or a comma list)' },
    regions: { ...REGION, description: 'the same as --region' },
    'all-regions': { type: 'boolean', description: 'every region enabled for the account' },
    write: {
      type: 'string',
      value: 'FILE',
      description: "write a config in the app's schema (needs --xdr-login-url or --taegis-region)",
    },
    force: { type: 'boolean', description: 'overwrite FILE if it exists' },
    'xdr-login-url': {
      type: 'string',
      value: 'URL',
      description: 'the Taegis login URL, to derive the Taegis region for --write',
    },
    'taegis-region': {
      type: 'string',
      value: 'NAME',
      description:
        'the Taegis environment (ctpx, delta, echo, foxtrot, golf, hotel, india, juliet, kilo, quebec, or an alias such as us1, eu, euw1) for --write',
    },
    organization: {
      type: 'boolean',
      description:
        'every ACTIVE account of the AWS Organization (ListAccounts, from the management or a delegated admin account), each entered by assuming --role-name; an account that cannot be entered is listed with the reason (exit 1); --write writes one config for the organization',
    },
    'role-name': {
      ...ROLE_NAME,
      defaultText: 'OrganizationAccountAccessRole',
      description: 'with --organization: the role to assume in each account',
    },
    accounts: { type: 'list', value: 'A1,A2', description: 'with --organization: only these account ids' },
    'vendor-zip': {
      type: 'string',
      value: 'FILE',
      description:
        'the vendor zip the config stages: each function is shown "package current" when its CodeSha256 is this zip\'s, "package stale" otherwise (without it: the first 12 characters of CodeSha256)',
    },
    json: JSON_OUT,
    ...AWS_FLAGS,
    help: HELP,
  },
  exit: '0 all read, 1 something could not be read (listed) or nothing to write, 2 bad input (nothing was called).',
});
