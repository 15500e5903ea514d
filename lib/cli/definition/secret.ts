import { ACCOUNT, AWS_FLAGS, CONFIG, HELP, REGION, ROLE_NAME } from './shared.js';
import { defineCommand } from './types.js';

export const secret = defineCommand({
  name: 'secret',
  summary: 'put credentials.txt into AWS Secrets Manager for the shared stacks (never on a command line)',
  usage: ['taegis-migrate secret put [flags]'],
  description:
    'Reads credentials.txt (artifactsDir of the config) and creates or updates the Secrets Manager secret named by "credentialsSecret" for every configured target (one per target for a "name", one in total for an "arn"). Each secret is written in its own account: the caller\'s with the caller\'s credentials, another through the config\'s "access" role (or --role-name), as verify enters it. The value is read from the file only: never pass it on a command line. An unchanged value writes nothing.',
  subcommands: {
    put: {
      summary: 'create or update the credentials secret of every configured target',
      usage: ['taegis-migrate secret put [flags]'],
      description: 'Creates or updates the credentials secret of every configured target from credentials.txt.',
      exit: '0 done, 1 AWS refused or an account could not be entered (the others are still written), 2 bad input (config, flags, credentials.txt; nothing was written).',
    },
  },
  flags: {
    config: CONFIG,
    region: REGION,
    account: ACCOUNT,
    'role-name': ROLE_NAME,
    'kms-key-id': {
      type: 'string',
      value: 'KEY',
      defaultText: 'the AWS managed key',
      description: 'the KMS key that encrypts the secret',
    },
    ...AWS_FLAGS,
    help: HELP,
  },
  exit: '0 done, 1 AWS refused or an account could not be entered (the others are still written), 2 bad input (config, flags, credentials.txt; nothing was written).',
});
