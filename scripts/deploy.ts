// npm run deploy -- [--config PATH] [--region R]... [--stack PATTERN]... [--exclusively] [--method change-set|direct]
//                   [--no-previous-parameters] [--output DIR]
// Deploys the app in-process, with SecretValue read from credentials.txt (never on a command line).
import * as path from 'node:path';
import { deployApp } from '../lib/deploy.js';
import { parseFlags, runCli } from '../lib/cli/run.js';
import { DEFAULT_CONFIG_FILE } from '../lib/config/load.js';
import { loadAppConfig } from '../lib/config/load-for-app.js';
import { ExitCode, TaegisError } from '../lib/errors.js';

const HELP = `usage: npm run deploy -- [options]
  --config PATH               config file (default ${DEFAULT_CONFIG_FILE})
  --region R                  only this region (repeatable, or a comma list)
  --account A                 only this account (repeatable, or a comma list); others are reached through their
                              CDK bootstrap roles (cdk bootstrap --trust <this account>, see README "Organizations")
  --stack PATTERN             only stacks whose construct id matches (repeatable; glob), e.g. "TaegisShared-*"
  --exclusively               do not also deploy the stacks the selected ones depend on
  --method change-set|direct  how CloudFormation applies changes (default change-set)
  --no-previous-parameters    do not keep deployed values of parameters this deploy does not set
  --output DIR                keep the synthesized cloud assembly in DIR (default: a temporary folder, removed)`;

void runCli(async (argv) => {
  const { values } = parseFlags(argv, {
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    region: { type: 'string', multiple: true },
    account: { type: 'string', multiple: true },
    stack: { type: 'string', multiple: true },
    exclusively: { type: 'boolean', default: false },
    method: { type: 'string', default: 'change-set' },
    'no-previous-parameters': { type: 'boolean', default: false },
    output: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  if (values.method !== 'change-set' && values.method !== 'direct') {
    throw new TaegisError('INPUT_INVALID', `--method ${values.method} is not a deployment method`, {
      fix: 'use --method change-set or --method direct',
    });
  }
  const result = await deployApp(loadAppConfig(values.config), {
    regions: values.region ?? [],
    accounts: values.account ?? [],
    stacks: values.stack ?? [],
    exclusively: values.exclusively,
    method: values.method,
    previousParameters: !values['no-previous-parameters'],
    ...(values.output !== undefined ? { outdir: path.resolve(values.output) } : {}),
  });
  console.log(`deployed: ${result.deployed.join(', ') || '(nothing)'}`);
  return ExitCode.Ok;
});
