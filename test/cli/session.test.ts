import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccountClients, type AccountRoute, type Target } from '../../lib/aws/accounts.js';
import { AwsClientFactory } from '../../lib/aws/clients.js';
import { openAccountSession } from '../../lib/cli/session.js';
import { TaegisError } from '../../lib/util/errors.js';

const CALLER = '111111111111';
const MEMBER = '222222222222';
const DENIED = '444444444444';

/** A port nothing listens on: a session that probed it would fail, so a passing call proves it was not probed. */
const CLOSED = 'http://127.0.0.1:1';

/**
 * AccountClients as routeAccounts uses them (plan, probe, forAccount), answering from a table: the caller's own
 * account, members entered through a role, and one account whose role is refused.
 */
function fakeAccounts() {
  const base = new AwsClientFactory({ endpoint: CLOSED });
  const member = new AwsClientFactory({ endpoint: CLOSED });
  const planned: Target[][] = [];
  const fake = {
    base,
    plan: (targets: readonly Target[]) => {
      planned.push([...targets]);
      return Promise.resolve(new Map<string, AccountRoute>());
    },
    probe: () => Promise.resolve(new Map([[DENIED, 'cannot assume arn:aws:iam::444444444444:role/R: AccessDenied']])),
    forAccount: (account: string) => (account === CALLER ? base : member),
    destroy: vi.fn(),
  };
  return { fake, accounts: fake as unknown as AccountClients, base, member, planned };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('openAccountSession with the clients a test injects', () => {
  it('GIVEN one set of clients THEN no preflight runs, every account gets them, nothing is unreachable and close leaves them alone', async () => {
    const clients = new AwsClientFactory({ endpoint: CLOSED });
    const destroy = vi.spyOn(clients, 'destroy');
    const session = openAccountSession({ command: 'verify', flags: {}, deps: { clients } });
    await session.preflight('us-east-1');
    await session.requireEndpoint();
    const routing = await session.route([{ account: MEMBER, region: 'us-east-1' }], 'R');
    expect(session.clients).toBe(clients);
    expect(session.accounts).toBeUndefined();
    expect(routing.clientsFor(MEMBER)).toBe(clients);
    expect(routing.clientsFor(DENIED)).toBe(clients);
    expect(routing.unreachable.size).toBe(0);
    session.close();
    expect(destroy).not.toHaveBeenCalled();
  });

  it('GIVEN clients per account THEN --role-name replaces the role, and an unreachable account fails its own targets only, in order', async () => {
    const { accounts, base, member, planned, fake } = fakeAccounts();
    const session = openAccountSession({ command: 'replay', flags: {}, deps: { accounts } });
    expect(session.clients).toBe(base);
    await session.preflight('us-east-1');
    const routing = await session.route(
      [
        { account: CALLER, region: 'us-east-1' },
        { account: MEMBER, region: 'us-east-1', access: { roleName: 'Config', externalId: 'x' } },
        { account: DENIED, region: 'eu-west-1' },
      ],
      'Flag',
    );
    expect(planned[0]!.map((t) => t.access)).toEqual([
      { roleName: 'Flag' },
      { roleName: 'Flag', externalId: 'x' },
      { roleName: 'Flag' },
    ]);
    const targets = [
      { account: DENIED, name: 'a' },
      { account: CALLER, name: 'b' },
      { account: MEMBER, name: 'c' },
      { account: DENIED, name: 'd' },
    ];
    const used: string[] = [];
    const results = await routing.eachTarget(
      targets,
      2,
      (clients, t) => {
        used.push(t.name);
        return Promise.resolve(`${t.name}: ${clients === base ? 'base' : clients === member ? 'member' : '?'}`);
      },
      (t, reason) => `${t.name} FAILED ${reason}`,
    );
    expect(results).toEqual([
      `a FAILED account ${DENIED}: cannot assume arn:aws:iam::444444444444:role/R: AccessDenied`,
      'b: base',
      'c: member',
      `d FAILED account ${DENIED}: cannot assume arn:aws:iam::444444444444:role/R: AccessDenied`,
    ]);
    expect(used.sort()).toEqual(['b', 'c']);
    session.close();
    expect(fake.destroy).not.toHaveBeenCalled();
  });
});

describe('openAccountSession from the flags', () => {
  let server: Server;
  let connections = 0;
  let listening: string;
  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    listening = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('GIVEN --endpoint-url THEN its clients aim there, the endpoint is probed once, and close destroys what the session built, once', async () => {
    const destroy = vi.spyOn(AccountClients.prototype, 'destroy');
    const session = openAccountSession({ command: 'verify', flags: { 'endpoint-url': listening }, env: {} });
    expect(session.accounts).toBeInstanceOf(AccountClients);
    expect(session.clients.endpoint).toBe(listening);
    expect(session.accounts!.sessionName).toBe('taegis-migrate-verify');
    const before = connections;
    await session.requireEndpoint();
    await session.requireEndpoint();
    await vi.waitFor(() => expect(connections).toBe(before + 1));
    session.close();
    session.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('GIVEN an endpoint nothing listens on THEN preflight is bad input naming it, and the session is closed', async () => {
    const destroy = vi.spyOn(AccountClients.prototype, 'destroy');
    const session = openAccountSession({ command: 'plan', flags: {}, env: { AWS_ENDPOINT_URL: CLOSED } });
    expect(session.clients.endpoint).toBe(CLOSED);
    const err = await session.preflight('us-east-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaegisError);
    expect(err).toMatchObject({ code: 'ENDPOINT_UNREACHABLE', exitCode: 2 });
    expect((err as Error).message).toContain(CLOSED);
    expect(destroy).toHaveBeenCalledTimes(1);
    session.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('GIVEN two accounts without access THEN routing is bad input before any call, and the session is closed', async () => {
    const destroy = vi.spyOn(AccountClients.prototype, 'destroy');
    const session = openAccountSession({ command: 'secret', flags: { 'endpoint-url': CLOSED }, env: {} });
    const err = await session
      .route([
        { account: MEMBER, region: 'us-east-1' },
        { account: DENIED, region: 'us-east-1' },
      ])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INPUT_INVALID', exitCode: 2 });
    expect((err as Error).message).toMatch(/have no "access"/);
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('GIVEN a single-account command THEN one factory from the flags serves every account, and close destroys it', async () => {
    const destroy = vi.spyOn(AwsClientFactory.prototype, 'destroy');
    const session = openAccountSession({
      command: 'discover',
      flags: { 'endpoint-url': CLOSED },
      env: {},
      multiAccount: false,
    });
    expect(session.accounts).toBeUndefined();
    const routing = await session.route([{ account: MEMBER, region: 'us-east-1' }]);
    expect(routing.clientsFor(MEMBER)).toBe(session.clients);
    session.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
