import { readFileSync } from 'node:fs';
import { routeAccounts, type AccountClients } from '../aws/accounts.js';
import type { AwsClientFactory } from '../aws/clients.js';
import type { AccessConfig } from '../config/schema.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { readBackup } from './backup.js';
import { readNotifications, replaceNotifications } from './bucket-write.js';
import { requireCredentials } from '../aws/credentials.js';
import { sameNotifications } from './notifications.js';
import { readSnsRecord, SNS_RECORD_KIND, undoSnsRoute } from './sns.js';
import { parseTopicArn } from './sns-route.js';

export interface RestoreOptions {
  readonly file: string;
  /** Where the configuration being replaced is saved first, so a restore can itself be undone. */
  readonly backupDir: string;
  readonly now: () => Date;
  readonly stdout: (text: string) => void;
  /** Resolve credentials before any request (off when tests pass their own clients). */
  readonly checkCredentials: boolean;
  /**
   * Clients per account: the restore goes into the account the backup came from, with that account's credentials.
   * @default - `clients` for every account (tests)
   */
  readonly accounts?: AccountClients;
  /**
   * How to enter the backup's account when it is not the caller's (`--role-name`, or the config's `access`).
   * @default - none: only the caller's own account
   */
  readonly access?: AccessConfig;
}

/**
 * `verify restore --backup FILE`: puts a saved notification configuration back, after saving the current one; or,
 * given the record of an SNS route (`<region>_<stack>_sns_<time>.json`), takes out what that run added.
 */
export async function restoreBackup(clients: AwsClientFactory, opts: RestoreOptions): Promise<ExitCode> {
  const raw = peekJson(opts.file);
  if ((raw as { kind?: unknown } | undefined)?.kind === SNS_RECORD_KIND) return undoSnsRecord(clients, opts, raw);
  const backup = readBackup(opts.file);
  if (opts.checkCredentials) {
    await requireCredentials(clients, backup.region);
  }
  let s3 = clients.s3(backup.region);
  if (opts.accounts) {
    const routing = await routeAccounts(opts.accounts, [
      { account: backup.account, region: backup.region, ...(opts.access ? { access: opts.access } : {}) },
    ]);
    const why = routing.unreachable.get(backup.account);
    if (why !== undefined) {
      throw new TaegisError('CHECK_FAILED', `cannot enter account ${backup.account} to restore ${opts.file}: ${why}`);
    }
    s3 = routing.clientsFor(backup.account).s3(backup.region);
  }
  const target = { region: backup.region, bucket: backup.bucket, account: backup.account };
  const current = await readNotifications(s3, target);
  if (sameNotifications(current, backup.configuration)) {
    opts.stdout(
      `bucket ${backup.bucket} (${backup.region}) already has the configuration of ${opts.file}; nothing written`,
    );
    return ExitCode.Ok;
  }
  const written = await replaceNotifications(s3, target, {
    current,
    desired: backup.configuration,
    backupDir: opts.backupDir,
    savedAt: opts.now(),
  });
  const saved = written.backupFile;
  if (written.outcome !== 'written') {
    throw new TaegisError('CHECK_FAILED', `restored ${backup.bucket}, but reading it back differs from ${opts.file}`, {
      fix: `compare with the saved previous configuration ${saved}`,
    });
  }
  opts.stdout(
    `restored bucket ${backup.bucket} (${backup.region}) from ${opts.file}; the configuration it replaced is saved in ${saved}`,
  );
  return ExitCode.Ok;
}

/** The file's JSON, or undefined when it is not JSON (readBackup then names the problem). */
function peekJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

async function undoSnsRecord(clients: AwsClientFactory, opts: RestoreOptions, raw: unknown): Promise<ExitCode> {
  const rec = readSnsRecord(opts.file, raw);
  const topic = parseTopicArn(rec.topicArn)!;
  if (opts.checkCredentials) await requireCredentials(clients, rec.region);
  let clientsOf = (_account: string): AwsClientFactory => clients;
  if (opts.accounts) {
    const access = opts.access ? { access: opts.access } : {};
    const routing = await routeAccounts(opts.accounts, [
      { account: rec.account, region: rec.region, ...access },
      { account: topic.account, region: topic.region, ...access },
    ]);
    for (const account of new Set([rec.account, topic.account])) {
      const why = routing.unreachable.get(account);
      if (why !== undefined)
        throw new TaegisError('CHECK_FAILED', `cannot enter account ${account} to undo ${opts.file}: ${why}`);
    }
    clientsOf = routing.clientsFor;
  }
  for (const line of await undoSnsRoute(rec, clientsOf)) opts.stdout(line);
  opts.stdout(`undid the SNS route additions of ${opts.file} (${rec.stackName}, ${rec.topicArn})`);
  return ExitCode.Ok;
}
