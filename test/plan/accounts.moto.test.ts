import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { parseConfig } from '../../lib/config/load.js';
import { planMain } from '../../lib/commands/plan.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A, MEMBER_B, stsParam } from '../support/accounts.js';
import { startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { synthApp, vendorArtifacts } from '../support/real-app.js';
import { createCodeBucket, createStack, currentLambdaTemplate } from '../support/taegis-fixtures.js';

interface Target {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
}
const TARGETS: readonly Target[] = [
  { account: MOTO_ACCOUNT, region: 'us-east-1', stackName: 'trail-lambda' },
  { account: MEMBER_A, region: 'us-east-1', stackName: 'trail-lambda' },
  { account: MEMBER_A, region: 'eu-west-1', stackName: 'eu-lambda' },
  { account: MEMBER_B, region: 'eu-west-1', stackName: 'eu-lambda' },
];
const bucketOf = (t: { account: string; region: string }): string => `logs-${t.account}-${t.region}`;
/** A member whose role the proxy refuses (moto never denies AssumeRole). */
const DENIED = '444444444444';

describe('GIVEN console-made Taegis stacks in three accounts and two regions', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  const keyAccount = new Map<string, string>([[MOTO_CREDENTIALS.accessKeyId, MOTO_ACCOUNT]]);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await accountsProxy(moto.endpoint, { denied: DENIED, keyAccount });
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-plan-accounts-'));
    for (const t of TARGETS) {
      const c = await clientsIn(moto.endpoint, t.account);
      await createCodeBucket(c.s3(t.region), t.region, `old-code-${t.account}-${t.region}`);
      await c.s3(t.region).send(
        new CreateBucketCommand({
          Bucket: bucketOf(t),
          ...(t.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: t.region as never } }),
        }),
      );
      await createStack(c.cloudFormation(t.region), t.stackName, currentLambdaTemplate(), {
        IntegrationType: 'awscloudtrail',
        NotificationBucket: bucketOf(t),
        SNSNotificationarn: '',
        NotificationBucketCustomerManagedKMSarn: '',
        TaegisLambdaS3BucketName: `old-code-${t.account}-${t.region}`,
        LambdaEnvKMSarn: '',
        EnableObjectTagging: 'false',
      });
      c.destroy();
    }
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Vendor files, a config over `targets` (plus `extra` top-level fields) and its synthesized assembly. */
  async function orgSetup(name: string, targets: readonly Target[], extra: Record<string, unknown> = {}) {
    const artifactsDir = vendorArtifacts(
      path.join(dir, `${name}-artifacts`),
      currentLambdaTemplate({ runtime: 'provided.al2023' }),
    );
    const cfg = {
      taegisRegion: 'ctpx',
      artifactsDir,
      ...extra,
      regions: targets.map((t) => ({
        region: t.region,
        account: t.account,
        lambdaStacks: [{ stackName: t.stackName, integrationType: 'awscloudtrail', notificationBucket: bucketOf(t) }],
      })),
    };
    const configFile = path.join(dir, `${name}.json`);
    writeFileSync(configFile, JSON.stringify(cfg));
    const asm = await synthApp(parseConfig(cfg, configFile), path.join(dir, `${name}.out`));
    return { configFile, asm };
  }

  it('WHEN planning one multi-account config THEN every account is planned through its own credentials, grouped by account, and nothing is executed', async () => {
    const { configFile, asm } = await orgSetup('org', TARGETS, { access: { roleName: 'TaegisMigrateVerify' } });
    const accounts = new AccountClients({
      command: 'plan',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 3,
    });
    const lines: string[] = [];
    const jsonFile = path.join(dir, 'plan.json');
    const code = await planMain(['--config', configFile, '--assembly', asm, '--json', jsonFile], {
      accounts,
      out: (t) => lines.push(t),
      planOptions: { pollMs: 100 },
    });
    accounts.destroy();
    expect(lines.join('\n')).toContain(`== ${MEMBER_A}/eu-west-1/eu-lambda`);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      stacks: { account: string; region: string; stackName: string; state: string; changeSetDeleted: boolean }[];
    };
    expect(json.stacks.map((s) => `${s.account}/${s.region}/${s.stackName}:${s.state}:${s.changeSetDeleted}`)).toEqual([
      `${MOTO_ACCOUNT}/us-east-1/trail-lambda:changes:true`,
      `${MEMBER_A}/eu-west-1/eu-lambda:changes:true`,
      `${MEMBER_A}/us-east-1/trail-lambda:changes:true`,
      `${MEMBER_B}/eu-west-1/eu-lambda:changes:true`,
    ]);
    // Each account's change set was made with that account's credentials (the stack ARN says which account).
    const cfnCalls = proxy.seen.filter((r) => r.service === 'cloudformation');
    const actions = cfnCalls.map((r) => new URLSearchParams(r.body.toString('utf8')).get('Action'));
    expect(actions).not.toContain('ExecuteChangeSet');
    expect(actions).not.toContain('UpdateStack');
    const byAccount = new Set(
      cfnCalls
        .filter((r) => new URLSearchParams(r.body.toString('utf8')).get('Action') === 'CreateChangeSet')
        .map((r) => keyAccount.get(accessKeyOf(r) ?? '')),
    );
    expect([...byAccount].sort()).toEqual([MOTO_ACCOUNT, MEMBER_A, MEMBER_B]);
    for (const t of TARGETS) {
      const c = await clientsIn(moto.endpoint, t.account);
      const st = await c.cloudFormation(t.region).send(new DescribeStacksCommand({ StackName: t.stackName }));
      expect(st.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
      expect(st.Stacks?.[0]?.StackId).toContain(`:${t.account}:`);
      const left = await c.cloudFormation(t.region).send(new ListChangeSetsCommand({ StackName: t.stackName }));
      expect(left.Summaries ?? []).toEqual([]);
      c.destroy();
    }
  });

  it('WHEN one account refuses AssumeRole THEN its stack is reported with the reason, nothing is sent into it, the others are planned (exit 1)', async () => {
    const targets = [...TARGETS, { account: DENIED, region: 'us-east-1', stackName: 'trail-lambda' }];
    const { configFile, asm } = await orgSetup('denied', targets, { access: { roleName: 'TaegisMigrateVerify' } });
    const accounts = new AccountClients({ command: 'plan', endpoint: proxy.endpoint, credentials: MOTO_CREDENTIALS });
    const jsonFile = path.join(dir, 'denied-plan.json');
    proxy.seen.length = 0;
    const code = await planMain(['--config', configFile, '--assembly', asm, '--json', jsonFile], {
      accounts,
      out: () => undefined,
      planOptions: { pollMs: 100 },
    });
    accounts.destroy();
    expect(code).toBe(1);
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      stacks: { account: string; state: string; error?: string }[];
    };
    const denied = json.stacks.find((s) => s.account === DENIED)!;
    expect(denied.state).toBe('error');
    expect(denied.error).toMatch(/AccessDenied/);
    expect(json.stacks.filter((s) => s.account !== DENIED).map((s) => s.state)).toEqual([
      'changes',
      'changes',
      'changes',
      'changes',
    ]);
    // Only the refused AssumeRole went towards the denied account.
    const towardsDenied = proxy.seen.filter((r) => (stsParam(r, 'RoleArn') ?? r.url).includes(DENIED));
    expect(towardsDenied.map((r) => stsParam(r, 'Action'))).toEqual(['AssumeRole']);
  });

  it('WHEN the config gives no access and plan runs with --role-name THEN that role is assumed in each member account and every stack is planned', async () => {
    const { configFile, asm } = await orgSetup('no-access', TARGETS);
    const planWith = async (args: string[]) => {
      const accounts = new AccountClients({ command: 'plan', endpoint: proxy.endpoint, credentials: MOTO_CREDENTIALS });
      proxy.seen.length = 0;
      try {
        return await planMain(['--config', configFile, '--assembly', asm, ...args], {
          accounts,
          out: () => undefined,
          planOptions: { pollMs: 100 },
        });
      } finally {
        accounts.destroy();
      }
    };
    // Without the flag, two members without access are bad input before any request ...
    await expect(planWith([])).rejects.toThrow(/have no "access"/);
    await expect(planWith([])).rejects.toMatchObject({ exitCode: 2 });
    expect(proxy.seen).toEqual([]);
    // ... a bad role name is bad input before any request ...
    await expect(planWith(['--role-name', 'arn:aws:iam::1:role/x'])).rejects.toMatchObject({ exitCode: 2 });
    expect(proxy.seen).toEqual([]);
    // ... and with it, each member is entered through that role.
    expect(await planWith(['--role-name', 'PlanReadOnly'])).toBe(0);
    const assumed = proxy.seen.filter((r) => stsParam(r, 'Action') === 'AssumeRole').map((r) => stsParam(r, 'RoleArn'));
    expect(assumed.sort()).toEqual([
      `arn:aws:iam::${MEMBER_A}:role/PlanReadOnly`,
      `arn:aws:iam::${MEMBER_B}:role/PlanReadOnly`,
    ]);
  });
});
