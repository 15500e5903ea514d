import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { listOrganizationAccounts } from '../../lib/discover/organization.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';

describe('listOrganizationAccounts on moto', () => {
  let moto: Moto;
  const created: string[] = [];
  beforeAll(async () => {
    moto = await startMoto();
    const org = new OrganizationsClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
    });
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    // moto answers ListAccounts 100 at a time (AWS: 20): 120 accounts make a second page.
    for (let i = 0; i < 120; i++) {
      const out = await org.send(new CreateAccountCommand({ AccountName: `member-${i}`, Email: `m${i}@example.com` }));
      created.push(out.CreateAccountStatus!.AccountId!);
    }
    org.destroy();
  });
  afterAll(async () => moto?.stop());

  it('GIVEN more accounts than one page holds WHEN listed THEN every page is read, each account once', async () => {
    let listCalls = 0;
    const counting = new AccountClients({
      command: 'discover',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
      onRequest: () => (listCalls += 1),
    });
    try {
      const ids = (await listOrganizationAccounts(counting, 'us-east-1')).map((a) => a.Id);
      expect(ids).toHaveLength(121);
      expect(new Set(ids)).toEqual(new Set([MOTO_ACCOUNT, ...created]));
      expect(listCalls).toBe(2);
    } finally {
      counting.destroy();
    }
  });
});
