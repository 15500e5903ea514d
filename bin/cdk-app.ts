#!/usr/bin/env -S npx tsx
// CDK app entry point: reads the CLI's context (-c config=PATH, -c region=a,b, -c account=a,b) and the config file, then builds the
// stacks in lib/app/app.ts. All logic lives in lib/.
import { buildApp, checkAssemblyLimits, createApp } from '../lib/app/app.js';
import { runCli } from '../lib/cli/run.js';
import { DEFAULT_CONFIG_FILE } from '../lib/config/load.js';
import { loadConfig } from '../lib/config/load.js';
import { contextList } from '../lib/cli/context.js';
import { ExitCode } from '../lib/util/errors.js';

void runCli(async () => {
  // aws-cdk-lib's built-in CloudFormation validation costs ~0.7 s per stack (90 s for 17 regions x 8 stacks) and
  // lints the vendor's templates, which we include unchanged; our own checks and cdk-nag run regardless.
  // CDK_VALIDATION=true turns it back on.
  // autoSynth off: on bad input the App must not write an (empty) assembly when the process exits.
  const app = createApp({ autoSynth: false, builtinCloudFormationValidation: process.env.CDK_VALIDATION === 'true' });
  const configPath = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_FILE;
  const config = loadConfig(configPath, { templateProblems: true });
  await buildApp(config, {
    app,
    regions: contextList(app.node.tryGetContext('region')),
    accounts: contextList(app.node.tryGetContext('account')),
    warn: (message) => process.stderr.write(`${message}\n`),
  });
  checkAssemblyLimits(app.synth(), config.configPath);
  return ExitCode.Ok;
});
