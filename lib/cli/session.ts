import { AccountClients, routeAccounts, withRoleName, type Target } from '../aws/accounts.js';
import { AwsClientFactory, type ClientFactoryOptions } from '../aws/clients.js';
import { requireCredentials } from '../aws/credentials.js';
import { mapLimit } from '../util/concurrency.js';
import { requireReachableEndpoint } from './preflight.js';
import { endpointFrom } from './run.js';

/** The clients a test hands a command instead of those the flags would build. */
export interface SessionDeps {
  /**
   * One set of clients for every account (single-account tests): no account is entered, no preflight runs, and the
   * session never destroys them.
   * @default - built from the flags
   */
  readonly clients?: AwsClientFactory;
  /**
   * Clients per account (tests aim these at moto); ignored when `clients` is given. No preflight runs, and the
   * session never destroys them.
   * @default - built from the flags
   */
  readonly accounts?: AccountClients;
}

export interface AccountSessionOptions {
  /** The command, for the role session name (`taegis-migrate-verify`) CloudTrail shows in a target account. */
  readonly command: string;
  /** `--endpoint-url` and `--profile`. */
  readonly flags: { readonly 'endpoint-url'?: string; readonly profile?: string };
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default - nothing injected: clients from the flags */
  readonly deps?: SessionDeps;
  /**
   * Whether the command enters other accounts at all; without it the session holds one set of clients from the
   * flags (`discover` without `--organization`; an injected `accounts` is then unused) and routes every account to
   * them.
   * @default true
   */
  readonly multiAccount?: boolean;
}

/** How the session reaches each account of the targets it was routed for. */
export interface SessionRouting {
  /** The account's clients: its own credentials, or the injected `clients` for every account. */
  readonly clientsFor: (account: string) => AwsClientFactory;
  /** Accounts whose role cannot be assumed, with the reason. */
  readonly unreachable: ReadonlyMap<string, string>;
  /**
   * Runs `work` per target with its account's clients, `limit` at once, in the targets' order. A target whose account
   * cannot be entered is `failed(target, "account A: reason")` and the others go on.
   */
  readonly eachTarget: <T extends { readonly account: string }, R>(
    targets: readonly T[],
    limit: number,
    work: (clients: AwsClientFactory, target: T) => Promise<R>,
    failed: (target: T, reason: string) => R,
  ) => Promise<R[]>;
}

/** A command's AWS session: its clients, how it enters each account, and its end. */
export interface AccountSession {
  /** The base identity's clients (the caller's own account), or the injected `clients`. */
  readonly clients: AwsClientFactory;
  /** Clients per account; undefined with injected `clients` or when the command is single-account. */
  readonly accounts: AccountClients | undefined;
  /**
   * After the input is checked and before the first AWS call: an endpoint override answers and credentials can be
   * resolved (both bad input, exit 2; no request is made); a failure closes the session. Nothing is checked for
   * injected clients.
   */
  readonly preflight: (region: string) => Promise<void>;
  /** Only the endpoint part of `preflight`, for a command that learns its region later. */
  readonly requireEndpoint: () => Promise<void>;
  /**
   * Decides how each target's account is reached (`roleName`, from `--role-name`, replaces the config's role) and
   * enters each other account once; only STS is called. A target without the access it needs is bad input (exit 2);
   * that error closes the session. With injected `clients` every account gets them and nothing is called.
   */
  readonly route: (targets: readonly Target[], roleName?: string) => Promise<SessionRouting>;
  /** Destroys the clients the session built (never injected ones); once, however often it is called. */
  readonly close: () => void;
}

/**
 * Opens the account session every AWS command edge uses: clients from `--profile`/`--endpoint-url` (or those a test
 * injects), the preflight before the first call, routing into the targets' accounts, and the cleanup.
 */
export function openAccountSession(options: AccountSessionOptions): AccountSession {
  const { deps = {}, env = process.env } = options;
  const multi = options.multiAccount ?? true;
  // Injected clients are the test's: no preflight (they aim at moto with static credentials), no destroy.
  const owned = deps.clients === undefined && deps.accounts === undefined;
  const fromFlags = clientOptions(options.flags, env);
  // What the session made itself, and so destroys.
  let built: { destroy(): void } | undefined;
  let accounts: AccountClients | undefined;
  if (deps.clients === undefined && multi) {
    accounts = deps.accounts ?? (built = new AccountClients({ command: options.command, ...fromFlags }));
  }
  const clients = deps.clients ?? accounts?.base ?? (built = new AwsClientFactory(fromFlags));
  let endpointChecked = false;
  // A check that fails ends the command: its error is the command's, and nothing of the session is used again.
  const closingOnFailure = async <R>(step: () => Promise<R>): Promise<R> => {
    try {
      return await step();
    } catch (err) {
      session.close();
      throw err;
    }
  };
  const session: AccountSession = {
    clients,
    accounts,
    requireEndpoint: () =>
      closingOnFailure(async () => {
        if (!owned || endpointChecked || clients.endpoint === undefined) return;
        await requireReachableEndpoint(clients.endpoint);
        endpointChecked = true;
      }),
    preflight: (region) =>
      closingOnFailure(async () => {
        if (!owned) return;
        await session.requireEndpoint();
        await requireCredentials(clients, region);
      }),
    route: (targets, roleName) =>
      closingOnFailure(async () => {
        if (accounts === undefined) return routingOf(() => clients, new Map());
        const routing = await routeAccounts(accounts, withRoleName(targets, roleName));
        return routingOf(routing.clientsFor, routing.unreachable);
      }),
    close: () => {
      built?.destroy();
      built = undefined;
    },
  };
  return session;
}

function routingOf(
  clientsFor: (account: string) => AwsClientFactory,
  unreachable: ReadonlyMap<string, string>,
): SessionRouting {
  return {
    clientsFor,
    unreachable,
    eachTarget: (targets, limit, work, failed) =>
      mapLimit(targets, limit, async (t) => {
        const reason = unreachable.get(t.account);
        return reason !== undefined ? failed(t, `account ${t.account}: ${reason}`) : work(clientsFor(t.account), t);
      }),
  };
}

/**
 * What the flags and the environment say about the clients: `--endpoint-url`, else `AWS_ENDPOINT_URL`, and
 * `--profile` (the SDK reads `AWS_PROFILE`, `AWS_REGION` and the rest of the default chain itself).
 */
function clientOptions(flags: AccountSessionOptions['flags'], env: NodeJS.ProcessEnv): ClientFactoryOptions {
  const endpoint = endpointFrom(flags['endpoint-url'], env);
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
  };
}
