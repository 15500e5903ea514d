import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { readCredentials } from '../artifacts/vendor.js';
import type { AwsClientFactory } from '../aws/clients.js';
import type { MigrationConfig } from '../config/load.js';
import type { RegionConfig } from '../config/schema.js';
import type { CredentialsSecretConfig } from '../config/pipeline.js';

/** The secret a target's shared stack reads `SecretValue` from: the region's own, else the top-level one. */
export function credentialsSecretFor(
  config: Pick<MigrationConfig, 'credentialsSecret'>,
  region: Pick<RegionConfig, 'credentialsSecret'>,
): CredentialsSecretConfig | undefined {
  return region.credentialsSecret ?? config.credentialsSecret;
}

/** The secret's id as CloudFormation and the SDK take it: its name (in the target's account and region) or its ARN. */
export const secretId = (s: CredentialsSecretConfig): string => s.arn ?? s.name!;

/**
 * The CloudFormation dynamic reference to the secret's whole `SecretString` (the content of credentials.txt).
 * CloudFormation resolves it at deploy time; the template, cdk.out and the pipeline only ever hold this reference.
 */
export function dynamicReference(s: CredentialsSecretConfig): string {
  return `{{resolve:secretsmanager:${secretId(s)}:SecretString:::}}`;
}

/** Where one secret lives and who uses it. */
export interface SecretPlacement {
  readonly id: string;
  readonly region: string;
  /** The account the secret is in (the ARN's, or the target's for a name). */
  readonly account: string;
  /** `"<account>/<region>"` of every target that reads it. */
  readonly targets: readonly string[];
}

/** The distinct secrets the config's (selected) targets read: one per name and target, or one per ARN. */
export function secretPlacements(config: MigrationConfig): SecretPlacement[] {
  const byKey = new Map<string, { id: string; region: string; account: string; targets: string[] }>();
  for (const r of config.regions) {
    const s = credentialsSecretFor(config, r);
    if (s === undefined) continue;
    const arnParts = s.arn?.split(':');
    const region = arnParts?.[3] ?? r.region;
    const account = arnParts?.[4] ?? r.account;
    const key = `${account}/${region}/${secretId(s)}`;
    const entry = byKey.get(key) ?? { id: secretId(s), region, account, targets: [] };
    entry.targets.push(`${r.account}/${r.region}`);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

export type PutOutcome = 'created' | 'updated' | 'unchanged' | 'failed';

export interface PutResult extends SecretPlacement {
  readonly outcome: PutOutcome;
  /** Why the secret could not be written (its account cannot be entered). */
  readonly reason?: string;
}

export interface PutSecretsOptions {
  /** Customer managed KMS key for a secret that is created. @default - Secrets Manager's own key */
  readonly kmsKeyId?: string;
  /**
   * The clients of each account: a secret is only ever written with its own account's credentials.
   * @default - the `clients` given, for every account
   */
  readonly clientsFor?: (account: string) => AwsClientFactory;
  /** Accounts that cannot be entered, with the reason: their secrets are reported as failed, the others written. */
  readonly unreachable?: ReadonlyMap<string, string>;
}

/**
 * Creates or updates every configured credentials secret with the content of credentials.txt, read here from the file
 * (never from argv or the environment). An unchanged value writes no new version. Returns what it did per secret,
 * never the value.
 */
export async function putCredentialsSecrets(
  clients: AwsClientFactory,
  config: MigrationConfig,
  options: PutSecretsOptions = {},
): Promise<PutResult[]> {
  const value = readCredentials(config.artifactPaths.credentials);
  const results: PutResult[] = [];
  for (const p of secretPlacements(config)) {
    const unreachable = options.unreachable?.get(p.account);
    if (unreachable !== undefined) {
      results.push({ ...p, outcome: 'failed', reason: `account ${p.account}: ${unreachable}` });
      continue;
    }
    const sm = (options.clientsFor?.(p.account) ?? clients).secretsManager(p.region);
    let exists = true;
    try {
      await sm.send(new DescribeSecretCommand({ SecretId: p.id }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      exists = false;
    }
    if (!exists) {
      await sm.send(
        new CreateSecretCommand({
          Name: p.id,
          SecretString: value,
          Description: 'Taegis XDR credentials.txt for the shared-resources stack (written by taegis-migrate)',
          ...(options.kmsKeyId !== undefined ? { KmsKeyId: options.kmsKeyId } : {}),
          Tags: [{ Key: 'taegis-migrate', Value: 'credentials' }],
        }),
      );
      results.push({ ...p, outcome: 'created' });
      continue;
    }
    const current = await sm.send(new GetSecretValueCommand({ SecretId: p.id })).catch((err: unknown) => {
      // A secret without a value yet is expected; anything else (access denied) is the caller's to see.
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    });
    if (current?.SecretString === value) {
      results.push({ ...p, outcome: 'unchanged' });
      continue;
    }
    await sm.send(new PutSecretValueCommand({ SecretId: p.id, SecretString: value }));
    results.push({ ...p, outcome: 'updated' });
  }
  return results;
}
