import * as path from 'node:path';
import { readCredentials } from '../artifacts/vendor.js';
import { targetsOf, type AccountClients } from '../aws/accounts.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { listFlag, roleNameFlag } from '../cli/flags.js';
import { parseFlags } from '../cli/run.js';
import { openAccountSession } from '../cli/session.js';
import { DEFAULT_CONFIG_FILE, selectAccounts, selectRegions } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { DEFAULT_SECRET_NAME } from '../config/pipeline.js';
import { putCredentialsSecrets, secretPlacements } from '../secret/secret.js';

export const SECRET_USAGE = `usage: npm run secret -- put [--config PATH] [--region R]... [--account A]... [--role-name NAME]
                           [--kms-key-id KEY] [--profile NAME] [--endpoint-url URL]

Reads credentials.txt (artifactsDir of the config) and creates or updates the Secrets Manager secret named by
"credentialsSecret" for every configured target (one per target for a "name", one in total for an "arn").
Each secret is written in its own account: the caller's with the caller's credentials, another through the config's
"access" role (or --role-name), as verify enters it.
The value is read from the file only: never pass it on a command line. An unchanged value writes nothing.
Exit 0: done; 1: AWS refused or an account could not be entered (the others are still written);
2: bad input (config, flags, credentials.txt), nothing was written.`;

export interface SecretCliDeps {
  /** One set of clients for every account (single-account tests). */
  readonly clients?: AwsClientFactory;
  /** Clients per account (tests aim these at moto); ignored when `clients` is given. */
  readonly accounts?: AccountClients;
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
      account: { type: 'string', multiple: true },
      'role-name': { type: 'string' },
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
  const roleName = roleNameFlag(values['role-name']);
  const config = selectRegions(
    selectAccounts(loadConfig(path.resolve(values.config)), listFlag(values.account)),
    listFlag(values.region),
  );
  if (secretPlacements(config).length === 0) {
    throw new TaegisError('CONFIG_INVALID', `config ${config.configPath} names no credentials secret`, {
      fix: `add "credentialsSecret": { "name": "${DEFAULT_SECRET_NAME}" } at the top level of the config`,
    });
  }
  // credentials.txt is read (and a problem reported, exit 2) before any AWS call.
  readCredentials(config.artifactPaths.credentials);
  const session = openAccountSession({ command: 'secret', flags: values, env: deps.env, deps });
  try {
    // No credentials or an endpoint that does not answer: exit 2, before any request.
    await session.preflight(config.regions[0]?.region ?? 'us-east-1');
    // A secret by ARN may live in an account that is no target (a central one): it is entered with the top-level
    // access. The targets' own accounts keep their entries' access.
    const configured = targetsOf(config);
    const central = secretPlacements(config)
      .filter((p) => !configured.some((t) => t.account === p.account))
      .map((p) => ({ account: p.account, region: p.region, ...(config.access ? { access: config.access } : {}) }));
    const { clientsFor, unreachable } = await session.route([...configured, ...central], roleName);
    const results = await putCredentialsSecrets(session.clients, config, {
      ...(values['kms-key-id'] !== undefined ? { kmsKeyId: values['kms-key-id'] } : {}),
      clientsFor,
      unreachable,
    });
    for (const r of results) {
      out(
        `${r.outcome.padEnd(9)} ${r.id} in ${r.account}/${r.region} (for ${r.targets.join(', ')})${r.reason ? `: ${r.reason}` : ''}`,
      );
    }
    return results.some((r) => r.outcome === 'failed') ? ExitCode.CheckFailed : ExitCode.Ok;
  } finally {
    session.close();
  }
}
