import { paginateListAccounts, type Account } from '@aws-sdk/client-organizations';
import type { AccountClients } from '../aws/accounts.js';
import type { AccountSession } from '../cli/session.js';
import { isAccessDenied, reasonOf } from '../aws/errors.js';
import { TaegisError } from '../util/errors.js';
import { discover, type AccountEntry, type DiscoverReport, type RegionReport } from './discover.js';

export interface OrganizationOptions {
  readonly regions: readonly string[];
  /** The role to assume in every member account (the management account is read with the caller's credentials). */
  readonly roleName: string;
  /**
   * Only these account ids (each must be in the organization).
   * @default - every account of the organization
   */
  readonly only?: readonly string[];
  /** Region for STS and Organizations (a global service with one endpoint per partition). @default "us-east-1" */
  readonly homeRegion?: string;
  /** Accounts read at once. @default 4 */
  readonly concurrency?: number;
}

/** Every account of the organization (AWS Organizations ListAccounts, from the management or a delegated admin). */
export async function listOrganizationAccounts(clients: AccountClients, homeRegion: string): Promise<Account[]> {
  const org = clients.base.organizations(homeRegion);
  const out: Account[] = [];
  try {
    for await (const page of paginateListAccounts({ client: org }, {})) out.push(...(page.Accounts ?? []));
  } catch (err) {
    throw new TaegisError('AWS_ERROR', `cannot list the organization's accounts: ${reasonOf(err)}`, {
      fix: isAccessDenied(err)
        ? 'run from the management account or a delegated administrator account with organizations:ListAccounts'
        : 'check the credentials and that the account belongs to an AWS Organization',
      cause: err,
    });
  }
  return out;
}

/**
 * `discover --organization`: lists the organization's accounts, enters every ACTIVE one through `roleName` (the
 * caller's own account with its own credentials) and discovers as in one account. An account it cannot enter is
 * listed with the reason, never skipped in silence. Read-only in every account.
 */
export async function discoverOrganization(
  session: AccountSession,
  options: OrganizationOptions,
): Promise<DiscoverReport> {
  const clients = session.accounts;
  if (clients === undefined) throw new Error('discoverOrganization needs a session with clients per account');
  const home = options.homeRegion ?? 'us-east-1';
  // Credentials first: missing ones are bad input (exit 2) before Organizations is asked.
  await clients.caller(home);
  const listed = await listOrganizationAccounts(clients, home);
  if (options.only !== undefined && options.only.length > 0) {
    const known = new Set(listed.map((a) => a.Id));
    const unknown = options.only.filter((a) => !known.has(a));
    if (unknown.length > 0) {
      throw new TaegisError('INPUT_INVALID', `--accounts: ${unknown.join(', ')} is not in the organization`, {
        fix: `use ids the organization lists (${listed.length} accounts), or drop --accounts`,
      });
    }
  }
  const wanted = options.only !== undefined && options.only.length > 0 ? new Set(options.only) : undefined;
  const entries = new Map<string, AccountEntry>();
  const active: string[] = [];
  for (const a of [...listed].sort((x, y) => (x.Id ?? '').localeCompare(y.Id ?? ''))) {
    const id = a.Id ?? '';
    const base = { account: id, ...(a.Name ? { name: a.Name } : {}) };
    const state = String(a.State ?? a.Status ?? 'UNKNOWN');
    if (wanted !== undefined && !wanted.has(id)) {
      entries.set(id, { ...base, state: 'skipped', reason: 'not in --accounts' });
    } else if (state !== 'ACTIVE') {
      entries.set(id, { ...base, state: 'not-entered', reason: `account state ${state}` });
    } else {
      entries.set(id, { ...base, state: 'read' });
      active.push(id);
    }
  }
  // STS and Organizations answer in the home region; each account's regions are read with its own clients.
  const routing = await session.route(
    active.map((account) => ({ account, region: home })),
    options.roleName,
  );
  for (const [account, reason] of routing.unreachable) {
    const e = entries.get(account)!;
    entries.set(account, { ...e, state: 'not-entered', reason });
  }
  const perAccount = await routing.eachTarget(
    active.map((account) => ({ account })),
    options.concurrency ?? 4,
    async (accountClients, { account }) => {
      const report = await discover(accountClients, { regions: options.regions });
      return report.regions.map((r): RegionReport => ({ ...r, account }));
    },
    () => [],
  );
  return { regions: perAccount.flat(), accounts: [...entries.values()] };
}
