import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { secretMain } from '../../lib/commands/secret.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A, MEMBER_B, stsParam } from '../support/accounts.js';
import { startProxy } from '../support/aws-proxy.js';
import { copyExample, writeJson } from '../support/example.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';

const REGION = 'us-east-1';
const SECRET = 'taegis-migrate/credentials';
/** A member whose role the proxy refuses (moto never denies AssumeRole). */
const DENIED = '444444444444';

describe('npm run secret -- put across accounts (moto): each secret in its own account, with its credentials', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const example = copyExample();
  const marker = `TAEGIS-SM-ACCOUNTS-${Date.now()}`;
  /** Access key id -> the account it acts in, learned from the AssumeRole answers the proxy forwarded. */
  const keyAccount = new Map<string, string>([[MOTO_CREDENTIALS.accessKeyId, MOTO_ACCOUNT]]);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await accountsProxy(moto.endpoint, { denied: DENIED, keyAccount });
    writeFileSync(`${example.dir}/credentials.txt`, `client_id=abc\nclient_secret=${marker}\n`);
  });
  beforeEach(async () => {
    await moto.reset();
    proxy.seen.length = 0;
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    rmSync(example.dir, { recursive: true, force: true });
  });

  function config(accounts: readonly string[]): string {
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as { regions: Record<string, unknown>[] };
    const east = raw.regions.find((r) => r.region === REGION)!;
    const file = `${example.dir}/accounts-${accounts.join('-')}.json`;
    writeJson(file, {
      ...raw,
      access: { roleName: 'TaegisMigrateVerify' },
      credentialsSecret: { name: SECRET },
      regions: accounts.map((account) => ({ ...east, account })),
    });
    return file;
  }

  async function put(file: string, args: string[] = []) {
    const accounts = new AccountClients({ command: 'secret', endpoint: proxy.endpoint, credentials: MOTO_CREDENTIALS });
    const lines: string[] = [];
    try {
      const code = await secretMain(['put', '--config', file, ...args], { accounts, out: (t) => lines.push(t) });
      return { code, out: lines.join('\n') };
    } finally {
      accounts.destroy();
    }
  }

  const secretIn = async (account: string): Promise<string | undefined> => {
    const c = await clientsIn(moto.endpoint, account);
    try {
      const list = await c.secretsManager(REGION).send(new ListSecretsCommand({}));
      if (!(list.SecretList ?? []).some((s) => s.Name === SECRET)) return undefined;
      return (await c.secretsManager(REGION).send(new GetSecretValueCommand({ SecretId: SECRET }))).SecretString;
    } finally {
      c.destroy();
    }
  };

  it('GIVEN targets in the caller account and two members WHEN put runs THEN each account holds its own secret, written with its own credentials', async () => {
    const { code, out } = await put(config([MOTO_ACCOUNT, MEMBER_A, MEMBER_B]));
    expect(code, out).toBe(0);
    for (const account of [MOTO_ACCOUNT, MEMBER_A, MEMBER_B]) {
      expect(out).toContain(`created   ${SECRET} in ${account}/${REGION} (for ${account}/${REGION})`);
      expect(await secretIn(account)).toBe(`client_id=abc\nclient_secret=${marker}`);
    }
    expect(out).not.toContain(marker);
    // Every Secrets Manager request was signed by the account whose secret it wrote.
    const sm = proxy.seen.filter((r) => r.service === 'secretsmanager');
    const byAccount = new Map<string, number>();
    for (const r of sm) {
      const account = keyAccount.get(accessKeyOf(r) ?? '') ?? 'unknown';
      byAccount.set(account, (byAccount.get(account) ?? 0) + 1);
    }
    expect([...byAccount.keys()].sort()).toEqual([MOTO_ACCOUNT, MEMBER_A, MEMBER_B].sort());
    expect(proxy.seen.filter((r) => stsParam(r, 'Action') === 'AssumeRole').map((r) => stsParam(r, 'RoleArn'))).toEqual(
      [`arn:aws:iam::${MEMBER_A}:role/TaegisMigrateVerify`, `arn:aws:iam::${MEMBER_B}:role/TaegisMigrateVerify`],
    );
  });

  it('GIVEN a member whose role cannot be assumed WHEN put runs THEN its secret is reported failed with the reason, the others are written, exit 1', async () => {
    const { code, out } = await put(config([MOTO_ACCOUNT, DENIED]));
    expect(code).toBe(1);
    expect(out).toContain(`created   ${SECRET} in ${MOTO_ACCOUNT}/${REGION}`);
    expect(out).toMatch(new RegExp(`failed +${SECRET} in ${DENIED}/${REGION} .*: account ${DENIED}: .*AccessDenied`));
    expect(await secretIn(MOTO_ACCOUNT)).toBeDefined();
    // Nothing but the refused AssumeRole went towards the denied account.
    expect(proxy.seen.filter((r) => (stsParam(r, 'RoleArn') ?? '').includes(DENIED))).toHaveLength(1);
  });

  it("GIVEN a member entry with its own access WHEN put runs THEN that entry's role enters the member (no clash with the top level)", async () => {
    const file = config([MOTO_ACCOUNT, MEMBER_A]);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { regions: Record<string, unknown>[] };
    raw.regions[1]!.access = { roleName: 'EntryRole' };
    writeJson(file, raw);
    const { code, out } = await put(file);
    expect(code, out).toBe(0);
    expect(await secretIn(MEMBER_A)).toBe(`client_id=abc\nclient_secret=${marker}`);
    expect(proxy.seen.filter((r) => stsParam(r, 'Action') === 'AssumeRole').map((r) => stsParam(r, 'RoleArn'))).toEqual(
      [`arn:aws:iam::${MEMBER_A}:role/EntryRole`],
    );
  });

  it('GIVEN --account and --role-name WHEN put runs THEN only that account, entered through that role', async () => {
    const { code, out } = await put(config([MOTO_ACCOUNT, MEMBER_A]), ['--account', MEMBER_A, '--role-name', 'Ops']);
    expect(code, out).toBe(0);
    expect(out.split('\n')).toEqual([`created   ${SECRET} in ${MEMBER_A}/${REGION} (for ${MEMBER_A}/${REGION})`]);
    expect(await secretIn(MOTO_ACCOUNT)).toBeUndefined();
    expect(proxy.seen.filter((r) => stsParam(r, 'Action') === 'AssumeRole').map((r) => stsParam(r, 'RoleArn'))).toEqual(
      [`arn:aws:iam::${MEMBER_A}:role/Ops`],
    );
  });
});
