import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { planMain } from '../../lib/commands/plan.js';
import { planStack } from '../../lib/plan/changeset.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { synthApp, vendorArtifacts } from '../support/real-app.js';
import { createCodeBucket, createStack, currentLambdaTemplate } from '../support/taegis-fixtures.js';

// Plan against assemblies of the real app (lib/app/app.ts, synthesized in-process), whose vendor Lambda template has the
// logical IDs of the seeded stacks (currentLambdaTemplate) so the update is in place. The whole user flow through
// the npm scripts and the CDK CLI is in real-app.moto.test.ts.
const NEW_TEMPLATE = currentLambdaTemplate({ runtime: 'provided.al2023' });
const FAST = { pollMs: 100, timeoutMs: 30_000 };

const stacks = {
  'us-east-1': {
    stackName: 'lab-network-lambda',
    integrationType: 'awscloudtrail',
    notificationBucket: 'lab-cloudtrail-logs',
  },
  'eu-west-1': { stackName: 'eu-trail-lambda', integrationType: 'generic', notificationBucket: 'eu-trail-logs' },
};

function configObject(
  artifactsDir: string,
  extra: { region: string; stackName: string }[] = [],
): Record<string, unknown> {
  return {
    taegisRegion: 'ctpx',
    artifactsDir,
    regions: Object.entries(stacks).map(([region, s]) => ({
      region,
      account: MOTO_ACCOUNT,
      lambdaStacks: [
        s,
        ...extra
          .filter((e) => e.region === region)
          .map((e) => ({ stackName: e.stackName, integrationType: 'generic', notificationBucket: 'some-logs' })),
      ],
    })),
  };
}

describe('plan against moto', () => {
  let moto: Moto;
  let dir: string;
  let artifacts: string;

  async function changeSetsLeft(): Promise<number> {
    let n = 0;
    for (const [region, s] of Object.entries(stacks)) {
      const out = await moto
        .clients()
        .cloudFormation(region)
        .send(new ListChangeSetsCommand({ StackName: s.stackName }));
      n += (out.Summaries ?? []).length;
    }
    return n;
  }

  function writeConfig(name: string, cfg: Record<string, unknown>): string {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(cfg));
    return file;
  }

  async function assembly(name: string, cfg: Record<string, unknown>): Promise<string> {
    return synthApp(parseConfig(cfg, path.join(dir, 'x.json')), path.join(dir, name));
  }

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-plan-'));
    artifacts = vendorArtifacts(path.join(dir, 'artifacts'), NEW_TEMPLATE);
    const c = moto.clients();
    for (const [region, s] of Object.entries(stacks)) {
      await createCodeBucket(c.s3(region), region, `old-code-${region}`);
      await createCodeBucket(c.s3(region), region, `taegis-staging-${MOTO_ACCOUNT}-${region}`);
      await c.s3(region).send(
        new CreateBucketCommand({
          Bucket: s.notificationBucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
      await createStack(c.cloudFormation(region), s.stackName, currentLambdaTemplate(), {
        IntegrationType: s.integrationType,
        NotificationBucket: s.notificationBucket,
        SNSNotificationarn: '',
        NotificationBucketCustomerManagedKMSarn: '',
        TaegisLambdaS3BucketName: `old-code-${region}`,
        LambdaEnvKMSarn: '',
        EnableObjectTagging: 'false',
      });
    }
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN the synthesized in-place update WHEN planning THEN each stack shows its change set rows, exit 0, nothing executed, change sets deleted', async () => {
    const cfg = configObject(artifacts);
    const configFile = writeConfig('ok.json', cfg);
    const asm = await assembly('ok.out', cfg);
    const lines: string[] = [];
    const jsonFile = path.join(dir, 'plan.json');
    const code = await planMain(['--config', configFile, '--assembly', asm, '--json', jsonFile], {
      clients: moto.clients(),
      out: (t) => lines.push(t),
      planOptions: FAST,
    });
    const text = lines.join('\n');
    expect(code).toBe(0);
    expect(text).toMatch(/Action\s+LogicalResourceId\s+ResourceType\s+Replacement/);
    expect(text).toMatch(/Modify\s+TaegisLambdaFunction\s+AWS::Lambda::Function/);
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      result: string;
      stacks: {
        stackName: string;
        state: string;
        changeSetDeleted: boolean;
        changes: { action: string; logicalResourceId: string }[];
      }[];
    };
    expect(json.result).toBe('pass');
    expect(json.stacks.map((s) => [s.stackName, s.state, s.changeSetDeleted])).toEqual([
      ['lab-network-lambda', 'changes', true],
      ['eu-trail-lambda', 'changes', true],
    ]);
    expect(json.stacks[0]?.changes).toContainEqual(
      expect.objectContaining({ action: 'Modify', logicalResourceId: 'TaegisLambdaFunction' }),
    );
    expect(await changeSetsLeft()).toBe(0);
    // Never executed: the function still runs the old runtime and the stack was not updated.
    const fn = await moto
      .clients()
      .lambda('us-east-1')
      .send(new GetFunctionConfigurationCommand({ FunctionName: 'lab-network-lambda-scwx-tdr-lambda-awscloudtrail' }));
    expect(fn.Runtime).toBe('go1.x');
    const st = await moto
      .clients()
      .cloudFormation('us-east-1')
      .send(new DescribeStacksCommand({ StackName: 'lab-network-lambda' }));
    expect(st.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  });

  it('GIVEN a configured stack that does not exist WHEN planning THEN exit 1 names it, and the others are still planned and cleaned up', async () => {
    const cfg = configObject(artifacts, [{ region: 'us-east-1', stackName: 'ghost-lambda' }]);
    const lines: string[] = [];
    const code = await planMain(
      ['--config', writeConfig('ghost.json', cfg), '--assembly', await assembly('ghost.out', cfg)],
      {
        clients: moto.clients(),
        out: (t) => lines.push(t),
        planOptions: FAST,
      },
    );
    expect(code).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain('us-east-1/ghost-lambda: stack does not exist [FAIL]');
    expect(text).toMatch(
      /us-east-1\/lab-network-lambda: \d+ change\(s\) \(change set taegis-plan-\S+, deleted\) \[ok\]/,
    );
    expect(await changeSetsLeft()).toBe(0);
  });

  it('GIVEN a template that renames the function logical ID WHEN planning THEN the removal fails the plan (exit 1)', async () => {
    const renamed = vendorArtifacts(
      path.join(dir, 'renamed-artifacts'),
      currentLambdaTemplate({ runtime: 'provided.al2023', functionLogicalId: 'NewFunction' }),
    );
    const cfg = configObject(renamed);
    const lines: string[] = [];
    const code = await planMain(
      [
        '--config',
        writeConfig('renamed-cfg.json', cfg),
        '--assembly',
        await assembly('renamed.out', cfg),
        '--region',
        'us-east-1',
      ],
      {
        clients: moto.clients(),
        out: (t) => lines.push(t),
        planOptions: FAST,
      },
    );
    expect(code).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/Remove\s+TaegisLambdaFunction\s+AWS::Lambda::Function/);
    expect(text).toContain('FAIL: TaegisLambdaFunction (AWS::Lambda::Function) would be removed');
    expect(text).not.toContain('eu-trail-lambda');
    expect(await changeSetsLeft()).toBe(0);
  });

  it('GIVEN DescribeChangeSet fails after the change set was created WHEN planning THEN the change set is still deleted', async () => {
    const clients = moto.clients({ maxAttempts: 1 });
    const cfn = clients.cloudFormation('us-east-1');
    cfn.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeChangeSetCommand')
          throw Object.assign(new Error('simulated outage'), { name: 'ServiceUnavailable' });
        return next(args);
      },
      { step: 'initialize', name: 'failDescribeChangeSet' },
    );
    const asm = await assembly('fail.out', configObject(artifacts));
    const result = await planStack(
      cfn,
      {
        region: 'us-east-1',
        stackName: 'lab-network-lambda',
        account: MOTO_ACCOUNT,
        templateFile: path.join(asm, 'TaegisLambda-us-east-1-lab-network-lambda.template.json'),
      },
      FAST,
    );
    expect(result).toMatchObject({ state: 'error', changeSetDeleted: true });
    expect(result.error).toContain('simulated outage');
    expect(await changeSetsLeft()).toBe(0);
  });
});
