import { CONFIG, HELP, REGION } from './shared.js';
import { defineCommand } from './types.js';

export const synth = defineCommand({
  name: 'synth',
  summary: 'check config and vendor files, build every stack and write cdk.out (no AWS call)',
  usage: ['taegis-migrate synth [flags]'],
  description:
    'Checks the config and the vendor files, builds every stack (cdk-nag AwsSolutions included) and writes the cloud assembly, in this process: the same app "npx cdk synth" runs. No AWS call. "npx cdk synth -c config=PATH" runs the same app but exits 1 on bad input: the CDK CLI reports any failing app as 1.',
  flags: {
    config: CONFIG,
    region: REGION,
    output: { type: 'string', short: 'o', value: 'DIR', default: 'cdk.out', description: 'cloud assembly folder' },
    help: HELP,
  },
  exit: '0 synthesized, 1 an error annotation (a cdk-nag finding on our own stacks), 2 bad input (config, vendor files).',
});
