import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClients, accountOfArn, staticAccessCheck } from '../../lib/aws/accounts.js';
import { MEMBER_A, MEMBER_B } from '../support/accounts.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';

describe('AccountClients against moto', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  it('GIVEN two members WHEN their clients are used many times THEN GetCallerIdentity runs once, AssumeRole once per account, and each counts as a request', async () => {
    const ops: string[] = [];
    const accounts = new AccountClients({
      command: 'verify',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
      onRequest: (i) => ops.push(`${i.service}:${i.operation}`),
    });
    const access = { roleName: 'R' };
    const routes = await accounts.plan([
      { account: MOTO_ACCOUNT, region: 'us-east-1' },
      { account: MEMBER_A, region: 'us-east-1', access },
      { account: MEMBER_A, region: 'eu-west-1', access },
      { account: MEMBER_B, region: 'eu-west-1', access },
    ]);
    expect([...routes.values()].map((r) => r.kind)).toEqual(['caller', 'assume', 'assume']);
    expect(accounts.forAccount(MOTO_ACCOUNT, 'us-east-1')).toBe(accounts.base);
    for (let i = 0; i < 3; i++) {
      for (const region of ['us-east-1', 'eu-west-1']) {
        await accounts.forAccount(MEMBER_A, 'us-east-1').s3(region).config.credentials();
        await accounts.forAccount(MEMBER_B, 'us-east-1').lambda(region).config.credentials();
      }
    }
    accounts.destroy();
    expect(ops.sort()).toEqual(['sts:AssumeRoleCommand', 'sts:AssumeRoleCommand', 'sts:GetCallerIdentityCommand']);
  });
});

describe('static account checks', () => {
  it('GIVEN two accounts without access THEN bad input before any call', () => {
    expect(() =>
      staticAccessCheck([
        { account: MEMBER_A, region: 'us-east-1' },
        { account: MEMBER_B, region: 'us-east-1' },
      ]),
    ).toThrow(/have no "access"/);
  });
  it('GIVEN one account with two different roles THEN bad input', () => {
    expect(() =>
      staticAccessCheck([
        { account: MEMBER_A, region: 'us-east-1', access: { roleName: 'A' } },
        { account: MEMBER_A, region: 'eu-west-1', access: { roleName: 'B' } },
      ]),
    ).toThrow(/two different "access"/);
  });
  it('GIVEN ARNs THEN their account is read, or nothing', () => {
    expect(accountOfArn(`arn:aws:cloudformation:us-east-1:${MEMBER_A}:stack/x/1`)).toBe(MEMBER_A);
    expect(accountOfArn('arn:aws:s3:::bucket')).toBeUndefined();
  });
});
