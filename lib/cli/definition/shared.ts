import type { BooleanFlag, IntFlag, ListFlag, StringFlag } from './types.js';

/*
 * The definition imports nothing outside this folder: loading the config schema would load zod and aws-cdk-lib's
 * region table for every --help. The two facts it shares with lib/config are kept equal by test/cli/help.test.ts.
 */
/** lib/config/load.ts DEFAULT_CONFIG_FILE. */
export const DEFAULT_CONFIG_FILE = 'taegis.config.json';
/** lib/config/schema.ts IAM_ROLE_NAME. */
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The flags that mean the same thing in every command that takes them, defined once. A command spreads a changed
 * description over one (`{ ...ROLE_NAME, description: ... }`) only where its meaning there needs more words.
 */

export const CONFIG = {
  type: 'string',
  short: 'c',
  value: 'PATH',
  contextKey: 'config',
  defaultText: DEFAULT_CONFIG_FILE,
  description: 'config file; -c config=PATH (the CDK CLI form) also works',
} as const satisfies StringFlag;

export const REGION = {
  type: 'list',
  value: 'R',
  description: 'only this region (repeatable, or a comma list: --region us-east-1,eu-west-1)',
} as const satisfies ListFlag;

export const ACCOUNT = {
  type: 'list',
  value: 'A',
  description: 'only this account (repeatable, or a comma list)',
} as const satisfies ListFlag;

export const PROFILE = {
  type: 'string',
  value: 'NAME',
  defaultText: 'the SDK chain: AWS_PROFILE, env credentials, SSO',
  description: 'AWS named profile',
} as const satisfies StringFlag;

export const ENDPOINT_URL = {
  type: 'string',
  value: 'URL',
  defaultText: 'AWS_ENDPOINT_URL, else AWS',
  description: 'send every AWS call to URL (moto, LocalStack, a VPC endpoint)',
} as const satisfies StringFlag;

/** `--json` alone, or followed by another flag, means stdout (`-`). */
export const JSON_OUT = {
  type: 'string',
  value: '[FILE]',
  bare: '-',
  description: 'machine-readable report into FILE (stdout when FILE is left out or "-")',
} as const satisfies StringFlag;

export const HELP = { type: 'boolean', short: 'h', description: 'show this help' } as const satisfies BooleanFlag;

export const ROLE_NAME = {
  type: 'string',
  value: 'NAME',
  pattern: {
    regex: IAM_ROLE_NAME,
    what: 'an IAM role name',
    fix: 'use the role name only: 1-64 letters, digits and + = , . @ _ - (no path, no ARN)',
  },
  description:
    'the role to assume in every configured account that is not the caller\'s, instead of the config\'s "access" roleName',
} as const satisfies StringFlag;

/** The AWS flags every command that calls AWS takes, in the order the help lists them. */
export const AWS_FLAGS = { profile: PROFILE, 'endpoint-url': ENDPOINT_URL } as const;

/**
 * The flags of a run by hand over many targets (deploy, plan, verify): every target is attempted, and the run fails
 * only past the tolerance. `concurrencyWhat` says what runs at once in that command.
 */
export function fleetFlags(concurrencyWhat: string, concurrencyDefault: string, forms?: readonly string[]) {
  const only = forms === undefined ? {} : { in: forms };
  return {
    'failure-tolerance': {
      type: 'string',
      ...only,
      value: 'N|N%',
      defaultText: '0, or the wave\'s "failureTolerance" with --wave/--waves',
      description:
        'how many targets (account/region) may fail, or a percentage of them, before the run (or the wave) fails: exit 1 only past it; every target is attempted either way',
    },
    concurrency: {
      type: 'int',
      ...only,
      value: 'N',
      min: 1,
      max: 256,
      example: 8,
      defaultText: concurrencyDefault,
      description: concurrencyWhat,
    },
    wave: {
      type: 'string',
      ...only,
      value: 'NAME',
      description: 'only the targets of this pipeline wave (config "pipeline.waves"), with its tolerance',
    },
    waves: {
      type: 'boolean',
      ...only,
      description: 'every pipeline wave in order; a wave past its tolerance stops the ones after it',
    },
    summary: {
      type: 'string',
      ...only,
      value: 'FILE',
      description:
        'also write the Markdown fleet summary to FILE (it always goes to $GITHUB_STEP_SUMMARY when that is set)',
    },
  } as const satisfies {
    'failure-tolerance': StringFlag;
    concurrency: IntFlag;
    wave: StringFlag;
    waves: BooleanFlag;
    summary: StringFlag;
  };
}
