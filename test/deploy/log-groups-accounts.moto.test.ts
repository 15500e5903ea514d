import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { deployApp } from '../../lib/deploy/engine.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A } from '../support/accounts.js';
import type { startProxy } from '../support/aws-proxy.js';
import { useMoto } from '../support/use-moto.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'assets', 'example');
const REGION = 'us-east-1';
const STACK = 'lab-network-lambda';
const GROUP = `/aws/lambda/${STACK}-scwx-tdr-lambda-awscloudtrail`;
/** A member whose role the proxy refuses (moto itself never denies AssumeRole). */
const DENIED = '444444444444';

describe('GIVEN monitoring stacks in two member accounts, one of whose roles is refused', () => {
  const moto = useMoto();
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let work: string;
  const keyAccount = new Map<string, string>();

  beforeAll(async () => {
    proxy = await accountsProxy(moto().endpoint, { denied: DENIED, keyAccount });
    work = mkdtempSync(path.join(tmpdir(), 'taegis-log-groups-'));
  });
  afterAll(async () => {
    await proxy.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('WHEN deploy makes their log groups THEN the refused target fails alone with the reason and is not deployed; the other gets its group in its own account and its deploy goes ahead', async () => {
    const configFile = path.join(work, 'taegis.config.json');
    const entry = (account: string) => ({
      region: REGION,
      account,
      lambdaStacks: [{ stackName: STACK, integrationType: 'awscloudtrail', notificationBucket: 'lab-cloudtrail-logs' }],
    });
    writeFileSync(
      configFile,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: EXAMPLE,
        lambdaRuntime: 'provided.al2023',
        access: { roleName: 'TaegisMigrateDeploy' },
        monitoring: { silenceMinutes: 60 },
        regions: [entry(MEMBER_A), entry(DENIED)],
      }),
    );
    // The engine's clients come from the default chain and AWS_ENDPOINT_URL, as the deploy edge leaves them; set and
    // put back key by key (other files share this worker's process.env).
    const set = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: proxy.endpoint };
    const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    Object.assign(process.env, set);
    const lines: string[] = [];
    let result;
    try {
      result = await deployApp(loadConfig(configFile), {
        stacks: ['TaegisMonitoring-*'],
        exclusively: true,
        method: 'direct',
        previousParameters: false,
        progress: (line) => lines.push(line),
      });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const denied = result.targets.find((t) => t.account === DENIED)!;
    expect(denied.error).toMatchObject({ code: 'CHECK_FAILED' });
    expect(denied.reason).toMatch(
      new RegExp(`^account ${DENIED}: cannot assume arn:aws:iam::${DENIED}:role/TaegisMigrateDeploy: .*AccessDenied`),
    );
    expect(denied.reason).toContain(`nothing was deployed in account ${DENIED} region ${REGION}`);
    expect(lines.filter((l) => l.startsWith('deploying'))).toEqual([
      `deploying account ${MEMBER_A} region ${REGION}: TaegisMonitoring-${REGION}`,
    ]);
    // The member's deploy went ahead; on this moto its account is not bootstrapped, which is its own failure.
    const other = result.targets.find((t) => t.account === MEMBER_A)!;
    expect(other.reason).toMatch(/bootstrap\/hnb659fds\/version not found in aws:\/\/222222222222/);
    // The member's group was made in the member's account, with the member's credentials.
    const member = await clientsIn(moto().endpoint, MEMBER_A);
    const groups = await member.logs(REGION).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: GROUP }));
    member.destroy();
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual([GROUP]);
    const creators = proxy.seen
      .filter((r) => r.service === 'logs' && String(r.headers['x-amz-target']).endsWith('CreateLogGroup'))
      .map((r) => keyAccount.get(accessKeyOf(r) ?? ''));
    expect(creators).toEqual([MEMBER_A]);
  }, 300_000);
});
