import * as path from 'node:path';
import type { AwsClientFactory } from '../aws/clients.js';
import { clientsFromFlags, parseFlags } from '../cli/run.js';
import { DEFAULT_CONFIG_FILE, selectRegions } from '../config/load.js';
import { loadConfig } from '../taegis-config.js';
import { ExitCode, TaegisError } from '../errors.js';
import { DEFAULT_SECRET_NAME } from '../config/pipeline.js';
import { putCredentialsSecrets, secretPlacements } from './secret.js';

export const SECRET_USAGE = `usage: npm run secret -- put [--config PATH] [--region R]... [--kms-key-id KEY]
                           [--profile NAME] [--endpoint-url URL]

Reads credentials.txt (artifactsDir of the config) and creates or updates the Secrets Manager secret named by
"credentialsSecret" for every configured target (one per target for a "name", one in total for an "arn").
The value is read from the file only: never pass it on a command line. An unchanged value writes nothing.
Exit 0: done; 1: AWS refused; 2: bad input (config, flags, credentials.txt), nothing was written.`;

export interface SecretCliDeps {
  readonly clients?: AwsClientFactory;
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** `npm run secret -- put`: config and credentials.txt first (exit 2 before any AWS call), then one call set per secret. */
export async function secretMain(argv: readonly string[], deps: SecretCliDeps = {}): Promise<ExitCode> {
  const out = deps.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const { values, positionals } = parseFlags(
    argv,
    {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      region: { type: 'string', multiple: true },
      'kms-key-id': { type: 'string' },
      profile: { type: 'string' },
      'endpoint-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(SECRET_USAGE);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1 || positionals[0] !== 'put') {
    throw new TaegisError('INPUT_INVALID', `"${positionals.join(' ')}" is not a secret command`, {
      fix: 'run "npm run secret -- put --config PATH"',
    });
  }
  const config = selectRegions(loadConfig(path.resolve(values.config)), values.region ?? []);
  if (secretPlacements(config).length === 0) {
    throw new TaegisError('CONFIG_INVALID', `config ${config.configPath} names no credentials secret`, {
      fix: `add "credentialsSecret": { "name": "${DEFAULT_SECRET_NAME}" } at the top level of the config`,
    });
  }
  const clients = deps.clients ?? clientsFromFlags(values, deps.env ?? process.env);
  try {
    const results = await putCredentialsSecrets(clients, config, {
      ...(values['kms-key-id'] !== undefined ? { kmsKeyId: values['kms-key-id'] } : {}),
    });
    for (const r of results)
      out(`${r.outcome.padEnd(9)} ${r.id} in ${r.account}/${r.region} (for ${r.targets.join(', ')})`);
    return ExitCode.Ok;
  } finally {
    if (!deps.clients) clients.destroy();
  }
}
