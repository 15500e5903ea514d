import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { parseConfig } from '../../lib/config/load.js';
import { discoverMain } from '../../lib/commands/discover.js';
import { accessKeyOf, accountsProxy, clientsIn } from '../support/accounts.js';
import { startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { vendorArtifacts } from '../support/real-app.js';
import { buildApp } from '../../lib/app/app.js';
import { createCodeBucket, createStack, currentLambdaTemplate, unrelatedTemplate } from '../support/taegis-fixtures.js';

const E = 'us-east-1';
const W = 'eu-west-1';
const ROLE = 'TaegisDiscover';

describe('GIVEN an AWS Organization on moto with Taegis stacks in the management and two member accounts', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  let memberA: string;
  let memberB: string;
  /** A member whose role the proxy refuses (moto never denies AssumeRole). */
  let denied: string;
  const keyAccount = new Map<string, string>([[MOTO_CREDENTIALS.accessKeyId, MOTO_ACCOUNT]]);

  /** account -> the Taegis stacks seeded there, as `region/stackName`. */
  const seeded = new Map<string, string[]>();

  async function seedTaegis(account: string, region: string, stackName: string): Promise<void> {
    const c = await clientsIn(moto.endpoint, account);
    const bucket = `logs-${account}-${region}`;
    await createCodeBucket(c.s3(region), region, `old-code-${account}-${region}`);
    await c.s3(region).send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === E ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
    await createStack(c.cloudFormation(region), stackName, currentLambdaTemplate(), {
      IntegrationType: 'awscloudtrail',
      NotificationBucket: bucket,
      SNSNotificationarn: '',
      NotificationBucketCustomerManagedKMSarn: '',
      TaegisLambdaS3BucketName: `old-code-${account}-${region}`,
      LambdaEnvKMSarn: '',
      EnableObjectTagging: 'false',
    });
    c.destroy();
    seeded.set(account, [...(seeded.get(account) ?? []), `${region}/${stackName}`]);
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await accountsProxy(moto.endpoint, { denied: () => denied, keyAccount });
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-org-'));
    const org = new OrganizationsClient({ region: E, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const ids: string[] = [];
    for (const name of ['log-archive', 'workload', 'sandbox']) {
      const out = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
      ids.push(out.CreateAccountStatus!.AccountId!);
    }
    org.destroy();
    [memberA, memberB, denied] = ids as [string, string, string];
    await seedTaegis(MOTO_ACCOUNT, E, 'mgmt-trail-lambda');
    await seedTaegis(memberA, E, 'archive-trail-lambda');
    await seedTaegis(memberA, W, 'archive-eu-lambda');
    await seedTaegis(memberB, W, 'workload-lambda');
    // Not Taegis: must not be found.
    const c = await clientsIn(moto.endpoint, memberB);
    await createStack(c.cloudFormation(E), 'unrelated-app', unrelatedTemplate());
    c.destroy();
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    const accounts = new AccountClients({
      command: 'discover',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 2,
    });
    const lines: string[] = [];
    try {
      const code = await discoverMain(['--organization', '--role-name', ROLE, '--regions', `${E},${W}`, ...args], {
        accounts,
        out: (t) => lines.push(t),
      });
      return { code, out: lines.join('\n') };
    } finally {
      accounts.destroy();
    }
  }

  it('WHEN discovering the members that can be entered, with --write THEN exactly each account’s Taegis stacks are found, read-only, and the written config synthesizes', async () => {
    proxy.seen.length = 0;
    const file = path.join(dir, 'org.json');
    const { code, out } = await run([
      '--accounts',
      `${MOTO_ACCOUNT},${memberA},${memberB}`,
      '--write',
      file,
      '--taegis-region',
      'ctpx',
    ]);
    expect(out).toContain(`${denied}`);
    expect(code).toBe(0);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as {
      access: { roleName: string };
      regions: { account: string; region: string; lambdaStacks: { stackName: string }[] }[];
    };
    expect(raw.access).toEqual({ roleName: ROLE });
    const found = new Map<string, string[]>();
    for (const r of raw.regions)
      for (const s of r.lambdaStacks)
        found.set(r.account, [...(found.get(r.account) ?? []), `${r.region}/${s.stackName}`]);
    expect(Object.fromEntries([...found].map(([a, s]) => [a, s.sort()]))).toEqual(
      Object.fromEntries([...seeded].map(([a, s]) => [a, [...s].sort()])),
    );
    // Read-only everywhere: only List/Describe/Get and STS.
    for (const req of proxy.seen) {
      const action =
        new URLSearchParams(req.body.toString('utf8')).get('Action') ?? String(req.headers['x-amz-target'] ?? '');
      // REST services read with GET; query and JSON services name the action.
      if (req.service === 's3' || req.service === 'lambda') expect(req.method, req.url).toBe('GET');
      else expect(action, `${req.service} ${action}`).toMatch(/(List|Describe|Get|AssumeRole)/);
    }
    // Log buckets are read as their owner's, with the owner's credentials.
    for (const req of proxy.seen.filter((r) => r.service === 's3')) {
      const owner = /logs-(\d{12})-/.exec(req.url)?.[1];
      expect(req.headers['x-amz-expected-bucket-owner']).toBe(owner);
      expect(keyAccount.get(accessKeyOf(req) ?? '')).toBe(owner);
    }
    // The config synthesizes, with the account in every id.
    const artifacts = vendorArtifacts(path.join(dir, 'artifacts'), currentLambdaTemplate());
    const built = await buildApp(parseConfig({ ...raw, artifactsDir: artifacts }, file), {
      appProps: { outdir: path.join(dir, 'org.out'), builtinCloudFormationValidation: false },
      nag: false,
    });
    const asm = built.app.synth().directory;
    const manifest = JSON.parse(readFileSync(path.join(asm, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map(([id]) => id)).toContain(`TaegisLambda-${memberA}-${W}-archive-eu-lambda`);
    expect(stacks.find(([id]) => id === `TaegisLambda-${memberB}-${W}-workload-lambda`)?.[1].environment).toBe(
      `aws://${memberB}/${W}`,
    );
  });

  it('WHEN a member refuses AssumeRole THEN it is listed with the reason, the others are still read, exit 1', async () => {
    const { code, out } = await run([]);
    expect(code).toBe(1);
    const deniedLine = out.split('\n').find((l) => l.includes(denied))!;
    expect(deniedLine).toMatch(/not-entered/);
    expect(deniedLine).toMatch(/AccessDenied/);
    for (const s of [...seeded.values()].flat()) expect(out).toContain(s.split('/')[1]!);
  });

  it('WHEN --accounts names an id that is not 12 digits THEN exit 2 and nothing is called', async () => {
    proxy.seen.length = 0;
    await expect(run(['--accounts', '12345'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['--role-name', 'arn:aws:iam::1:role/x'])).rejects.toMatchObject({ exitCode: 2 });
    expect(proxy.seen).toEqual([]);
  });
});
