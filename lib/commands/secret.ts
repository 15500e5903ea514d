import * as path from 'node:path';
import { readCredentials } from '../artifacts/vendor.js';
import { targetsOf } from '../aws/accounts.js';
import { secret } from '../cli/definition/secret.js';
import { configPathFrom } from '../cli/flags.js';
import { createOutput } from '../cli/output.js';
import { parseCommand } from '../cli/parse.js';
import { openAccountSession, type SessionDeps } from '../cli/session.js';
import { selectAccounts, selectRegions } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { DEFAULT_SECRET_NAME } from '../config/pipeline.js';
import { putCredentialsSecrets, secretPlacements } from '../secret/secret.js';

/** Things secret needs from outside; tests pass their own. */
export interface SecretCliDeps extends SessionDeps {
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** `taegis-migrate secret put`: config and credentials.txt first (exit 2 before any AWS call), then one call set per secret. */
export async function secretMain(argv: readonly string[], deps: SecretCliDeps = {}): Promise<ExitCode> {
  const { out } = createOutput(deps.out ? { stdout: deps.out } : {});
  // The only subcommand is `put`: the parser refuses any other, and a missing one.
  const { values, help } = parseCommand(secret, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  const roleName = values['role-name'];
  const config = selectRegions(
    selectAccounts(loadConfig(path.resolve(configPathFrom(values.config))), values.account),
    values.region,
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
