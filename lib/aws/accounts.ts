import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { memoize } from '@smithy/property-provider';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, MiddlewareStack, Pluggable } from '@smithy/types';
import type { AccessConfig } from '../config/schema.js';
import { TaegisError } from '../util/errors.js';
import { AwsClientFactory, requestCounter, type ClientFactoryOptions } from './clients.js';
import { reasonOf } from './errors.js';

/** Who the base credentials are (STS GetCallerIdentity). */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  /** `aws`, `aws-cn`, `aws-us-gov`, ...: the partition role ARNs are built in. */
  readonly partition: string;
}

/** One (account, region) pair the run works on, with the access the config gives its account. */
export interface Target {
  readonly account: string;
  readonly region: string;
  readonly access?: AccessConfig;
}

export interface AccountClientsOptions extends ClientFactoryOptions {
  /**
   * The command, for the role session name (`taegis-migrate-verify`) that CloudTrail shows in the target account.
   */
  readonly command: string;
  /**
   * Refresh assumed credentials this long before they expire (long log waits outlive the default hour).
   * @default 300 seconds
   */
  readonly refreshBeforeExpirySeconds?: number;
}

/** How one account is reached. */
export type AccountRoute =
  | { readonly kind: 'caller'; readonly account: string }
  | { readonly kind: 'assume'; readonly account: string; readonly roleArn: string; readonly externalId?: string };

/**
 * Clients per (account, region). The base identity is the default credential chain or `--profile` (SSO included);
 * an account that is not the caller's own is entered by STS AssumeRole through the SDK's `fromTemporaryCredentials`,
 * memoized per account for the run and refreshed before expiry. A bucket or function is only ever reached with its
 * own account's credentials: callers pick the factory by the target's account.
 */
export class AccountClients {
  /** The base identity's clients (the caller's own account). */
  public readonly base: AwsClientFactory;
  private readonly baseCredentials: AwsCredentialIdentityProvider;
  private readonly factories = new Map<string, AwsClientFactory>();
  private readonly routes = new Map<string, AccountRoute>();
  private callerPromise?: Promise<CallerIdentity>;
  private sts?: STSClient;

  constructor(private readonly options: AccountClientsOptions) {
    const { credentials, profile } = options;
    // One memoized base provider, shared by every base client and by every AssumeRole, so the chain (or an SSO
    // token) is resolved once per run.
    this.baseCredentials =
      typeof credentials === 'function'
        ? credentials
        : credentials !== undefined
          ? () => Promise.resolve(credentials)
          : profile !== undefined
            ? fromIni({ profile })
            : fromNodeProviderChain();
    this.base = new AwsClientFactory({ ...options, credentials: this.baseCredentials });
  }

  /** The role session name: says it is this tool, within STS's 64 characters of `[\w+=,.@-]`. */
  get sessionName(): string {
    return `taegis-migrate-${this.options.command}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  }

  /** STS GetCallerIdentity of the base credentials, asked once per run. Missing credentials are bad input (exit 2). */
  caller(region: string): Promise<CallerIdentity> {
    this.callerPromise ??= (async () => {
      const { plugins, ...config } = this.stsConfig(region);
      this.sts = new STSClient({ ...config, credentials: this.baseCredentials });
      // The counter is service-agnostic; the stack is typed per service.
      for (const p of plugins ?? []) (this.sts.middlewareStack as unknown as MiddlewareStack<object, object>).use(p);
      try {
        const id = await this.sts.send(new GetCallerIdentityCommand({}));
        const arn = id.Arn ?? '';
        // STS always names a 12-digit account and an ARN; anything else (a proxy's HTML page parsed as an empty
        // answer) would otherwise become an account "" that no config entry matches.
        if (!/^\d{12}$/.test(id.Account ?? '') || !arn.startsWith('arn:')) {
          throw new TaegisError(
            'AWS_UNEXPECTED_ANSWER',
            `STS GetCallerIdentity answered without an account id or ARN (account "${id.Account ?? ''}", ARN "${arn}"): the endpoint that answered is not STS`,
            {
              fix: 'check --endpoint-url / AWS_ENDPOINT_URL and any HTTPS proxy (HTTPS_PROXY) between this machine and AWS',
            },
          );
        }
        return { account: id.Account!, arn, partition: arn.split(':')[1] || 'aws' };
      } catch (err) {
        if (err instanceof TaegisError) throw err;
        throw new TaegisError('CREDENTIALS_MISSING', `the AWS credentials cannot be used: ${reasonOf(err)}`, {
          fix: 'set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "aws sso login"',
          cause: err,
        });
      }
    })();
    return this.callerPromise;
  }

  /**
   * Decides how every target's account is reached, before any other request: the caller's own account with the
   * base credentials, another account through its configured role. A target in another account without `access`
   * is bad input (exit 2) naming the account and the fix. Asks only STS GetCallerIdentity.
   */
  async plan(targets: readonly Target[]): Promise<ReadonlyMap<string, AccountRoute>> {
    staticAccessCheck(targets);
    const first = targets[0];
    if (first === undefined) return this.routes;
    const caller = await this.caller(first.region);
    const missing = new Set<string>();
    for (const [account, access] of accessByAccount(targets)) {
      if (this.routes.has(account)) continue;
      if (account === caller.account) {
        this.routes.set(account, { kind: 'caller', account });
      } else if (access === undefined) {
        missing.add(account);
      } else {
        this.routes.set(account, {
          kind: 'assume',
          account,
          roleArn: `arn:${caller.partition}:iam::${account}:role/${access.roleName}`,
          ...(access.externalId !== undefined ? { externalId: access.externalId } : {}),
        });
      }
    }
    if (missing.size > 0) {
      const list = [...missing].join(', ');
      throw new TaegisError(
        'INPUT_INVALID',
        `account ${list} is not the account of the AWS credentials (${caller.account}, ${caller.arn}) and the config gives no access to it; nothing was changed`,
        {
          fix: `add "access": { "roleName": "<role in ${[...missing][0]!}>" } to the config (top level or the regions[] entry), or use credentials of account ${[...missing][0]!}, or correct "account"`,
        },
      );
    }
    return this.routes;
  }

  /** Clients for an account, after `plan`: the base factory for the caller's own, an assumed-role factory else. */
  forAccount(account: string, region: string): AwsClientFactory {
    const route = this.routes.get(account);
    if (route === undefined) {
      throw new Error(`account ${account} was not planned; call plan() with its targets first`);
    }
    if (route.kind === 'caller') return this.base;
    let factory = this.factories.get(account);
    if (factory === undefined) {
      factory = new AwsClientFactory({ ...this.options, credentials: this.assumed(route, region) });
      this.factories.set(account, factory);
    }
    return factory;
  }

  /**
   * Enters every planned account once (one AssumeRole each, cached for the run) and returns the accounts that
   * cannot be entered with the reason, so the run reports them and goes on with the others.
   */
  async probe(regionOf: (account: string) => string): Promise<ReadonlyMap<string, string>> {
    const failed = new Map<string, string>();
    await Promise.all(
      [...this.routes.values()]
        .filter((r) => r.kind === 'assume')
        .map(async (r) => {
          try {
            await this.forAccount(r.account, regionOf(r.account)).credentialsOf(regionOf(r.account))();
          } catch (err) {
            failed.set(
              r.account,
              `cannot assume ${r.kind === 'assume' ? r.roleArn : ''}: ${reasonOf(err)} (fix: let ${this.sessionName} assume the role: its trust policy must name the caller; see docs/organizations.md)`,
            );
          }
        }),
    );
    return failed;
  }

  destroy(): void {
    this.base.destroy();
    for (const f of this.factories.values()) f.destroy();
    this.sts?.destroy();
  }

  private stsConfig(region: string) {
    const { endpoint, maxAttempts, onRequest } = this.options;
    return {
      region,
      maxAttempts: maxAttempts ?? 8,
      ...(endpoint ? { endpoint } : {}),
      ...(onRequest ? { plugins: [requestCounterPlugin('sts', region, onRequest)] } : {}),
    };
  }

  private assumed(route: Extract<AccountRoute, { kind: 'assume' }>, region: string): AwsCredentialIdentityProvider {
    const { plugins, ...clientConfig } = this.stsConfig(region);
    const provider = fromTemporaryCredentials({
      params: {
        RoleArn: route.roleArn,
        RoleSessionName: this.sessionName,
        ...(route.externalId !== undefined ? { ExternalId: route.externalId } : {}),
      },
      masterCredentials: this.baseCredentials,
      clientConfig,
      ...(plugins ? { clientPlugins: plugins } : {}),
    });
    const marginMs = (this.options.refreshBeforeExpirySeconds ?? 300) * 1000;
    // The SDK's own memoize: one AssumeRole per account for the run, again once the credentials near expiry.
    return memoize<AwsCredentialIdentity>(
      provider,
      (c) => c.expiration !== undefined && c.expiration.getTime() - marginMs <= Date.now(),
      (c) => c.expiration !== undefined,
    );
  }
}

function requestCounterPlugin(
  service: string,
  region: string,
  onRequest: NonNullable<ClientFactoryOptions['onRequest']>,
): Pluggable<object, object> {
  return {
    applyToStack: (stack) => {
      stack.add(requestCounter(service, region, onRequest), {
        step: 'finalizeRequest',
        name: 'taegisRequestCounter',
        priority: 'low',
        // fromTemporaryCredentials applies its plugins again on every refresh.
        override: true,
      });
    },
  };
}

/**
 * What can be said without a single request: two accounts without access cannot both be the caller's own, and two
 * entries of one account must not name different roles.
 */
export function staticAccessCheck(targets: readonly Target[]): void {
  const access = accessByAccount(targets);
  const without = [...access].filter(([, a]) => a === undefined).map(([account]) => account);
  if (without.length > 1) {
    throw new TaegisError(
      'INPUT_INVALID',
      `accounts ${without.join(', ')} have no "access" in the config, and the AWS credentials belong to one account at most; nothing was called`,
      {
        fix: 'add "access": { "roleName": "<role to assume>" } at the top level of the config (or per regions[] entry); see docs/organizations.md',
      },
    );
  }
}

/** Each account's access: the first entry that gives one; two entries giving different ones are bad input. */
export function accessByAccount(targets: readonly Target[]): Map<string, AccessConfig | undefined> {
  const out = new Map<string, AccessConfig | undefined>();
  for (const t of targets) {
    const seen = out.get(t.account);
    if (seen !== undefined && t.access !== undefined) {
      if (seen.roleName !== t.access.roleName || seen.externalId !== t.access.externalId) {
        throw new TaegisError('INPUT_INVALID', `account ${t.account} is given two different "access" settings`, {
          fix: `give every regions[] entry of account ${t.account} the same "access", or set it once at the top level`,
        });
      }
    }
    out.set(t.account, seen ?? t.access);
  }
  return out;
}

/** The account id in an ARN (`arn:aws:cloudformation:us-east-1:123456789012:stack/...`), if it has one. */
export function accountOfArn(arn: string | undefined): string | undefined {
  const part = arn?.split(':')[4];
  return part !== undefined && /^\d{12}$/.test(part) ? part : undefined;
}

/** The config's targets with their access (the entry's wins over the top level). */
export function targetsOf(config: {
  readonly access?: AccessConfig;
  readonly regions: readonly { readonly account: string; readonly region: string; readonly access?: AccessConfig }[];
}): Target[] {
  return config.regions.map((r) => {
    const access = r.access ?? config.access;
    return { account: r.account, region: r.region, ...(access ? { access } : {}) };
  });
}

/**
 * The targets with `--role-name` in force: the role assumed in every account that is not the caller's is `roleName`,
 * whatever the config says (an `externalId` the config gives is still sent). Without a flag, the targets as they are.
 */
export function withRoleName(targets: readonly Target[], roleName: string | undefined): Target[] {
  if (roleName === undefined) return [...targets];
  return targets.map((t) => ({ ...t, access: { ...t.access, roleName } }));
}

/** What a command needs to reach every account of its targets. */
export interface AccountRouting {
  readonly clientsFor: (account: string) => AwsClientFactory;
  /** Accounts whose role cannot be assumed, with the reason. */
  readonly unreachable: ReadonlyMap<string, string>;
}

/**
 * Plans how each target's account is reached (bad input, exit 2, when one cannot be reached for lack of `access`),
 * then enters each other account once. Only STS is called.
 */
export async function routeAccounts(clients: AccountClients, targets: readonly Target[]): Promise<AccountRouting> {
  await clients.plan(targets);
  const regionOf = (account: string): string => targets.find((t) => t.account === account)?.region ?? 'us-east-1';
  const unreachable = await clients.probe(regionOf);
  return { clientsFor: (account) => clients.forAccount(account, regionOf(account)), unreachable };
}
