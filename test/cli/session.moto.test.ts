import { CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccountSession } from '../../lib/cli/session.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A, stsParam } from '../support/accounts.js';
import type { startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMoto } from '../support/use-moto.js';

const REGION = 'us-east-1';
/** A member whose role the proxy refuses (moto itself never denies AssumeRole). */
const DENIED = '444444444444';

describe('GIVEN the caller, a member and a member whose role is refused, on moto', () => {
  const moto = useMoto();
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const keyAccount = new Map<string, string>();

  beforeAll(async () => {
    proxy = await accountsProxy(moto().endpoint, { denied: DENIED, keyAccount });
  });
  afterAll(async () => {
    await proxy.stop();
  });

  const bucketsOf = async (account: string): Promise<string[]> => {
    const c = await clientsIn(moto().endpoint, account);
    try {
      return ((await c.s3(REGION).send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!);
    } finally {
      c.destroy();
    }
  };

  it('WHEN a session from the flags routes the three and works per target THEN the refused target fails with its reason, the others proceed each in its own account', async () => {
    // The base identity comes from the default chain, as for a user; set and put back key by key (shared worker).
    const set = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    Object.assign(process.env, set);
    const session = openAccountSession({ command: 'verify', flags: { 'endpoint-url': proxy.endpoint }, env: {} });
    try {
      await session.preflight(REGION);
      const access = { roleName: 'TaegisMigrateVerify' };
      const routing = await session.route([
        { account: MOTO_ACCOUNT, region: REGION },
        { account: MEMBER_A, region: REGION, access },
        { account: DENIED, region: REGION, access },
      ]);
      const results = await routing.eachTarget(
        [{ account: DENIED }, { account: MEMBER_A }, { account: MOTO_ACCOUNT }],
        2,
        async (clients, t) => {
          await clients.s3(REGION).send(new CreateBucketCommand({ Bucket: `session-${t.account}` }));
          return `${t.account}: created`;
        },
        (t, reason) => `${t.account}: FAILED ${reason}`,
      );
      expect(results[0]).toMatch(
        new RegExp(
          `^${DENIED}: FAILED account ${DENIED}: cannot assume arn:aws:iam::${DENIED}:role/TaegisMigrateVerify: .*AccessDenied`,
        ),
      );
      expect(results.slice(1)).toEqual([`${MEMBER_A}: created`, `${MOTO_ACCOUNT}: created`]);
    } finally {
      session.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    // Each bucket is in its own account only, written with that account's credentials; nothing reached the refused one.
    expect(await bucketsOf(MEMBER_A)).toEqual([`session-${MEMBER_A}`]);
    expect(await bucketsOf(MOTO_ACCOUNT)).toEqual([`session-${MOTO_ACCOUNT}`]);
    const writers = proxy.seen
      .filter((r) => r.service === 's3')
      .map((r) => keyAccount.get(accessKeyOf(r) ?? ''))
      .sort();
    expect(writers).toEqual([MEMBER_A, MOTO_ACCOUNT].sort());
    const assumed = proxy.seen.filter((r) => stsParam(r, 'Action') === 'AssumeRole').map((r) => stsParam(r, 'RoleArn'));
    expect(assumed.sort()).toEqual(
      [`arn:aws:iam::${DENIED}:role/TaegisMigrateVerify`, `arn:aws:iam::${MEMBER_A}:role/TaegisMigrateVerify`].sort(),
    );
  });
});
