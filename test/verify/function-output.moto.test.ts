import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { FUNCTION_ARN_OUTPUT } from '../../lib/stacks/marker.js';
import { parseConfig } from '../../lib/config/load.js';
import { functionFromOutputs } from '../../lib/verify/checks/stack.js';
import { runVerify } from '../../lib/verify/verify.js';
import { defaultLambdaRuntime } from '../../lib/facts/lambda-runtimes.js';
import { MOTO_ACCOUNT, type Moto } from '../support/moto.js';
import { useMoto } from '../support/use-moto.js';
import {
  LAMBDA_TEMPLATE,
  createBucket,
  createLambdaStack,
  functionArn,
  functionName,
  putLogLines,
} from '../support/verify-seed.js';

const E = 'us-east-1';
const OTHER = '111122223333';

describe('the function named by a stack output (functionFromOutputs)', () => {
  const w = { stackName: 'ct', region: E, account: MOTO_ACCOUNT };
  const stack = (...values: string[]): Stack => ({
    StackName: 'ct',
    CreationTime: new Date(0),
    StackStatus: 'UPDATE_COMPLETE',
    Outputs: values.map((v, i) => ({ OutputKey: `O${i}`, OutputValue: v })),
  });
  const own = functionArn(E, functionName('ct'));

  it("GIVEN the stack's own vendor function ARN (also twice, also qualified) THEN that function's name", () => {
    expect(functionFromOutputs(stack(own), w)).toBe(functionName('ct'));
    expect(functionFromOutputs(stack(own, own, `${own}:$LATEST`, 'not an arn'), w)).toBe(functionName('ct'));
  });

  it('GIVEN no output, another account, another region, another stack or a non-vendor name THEN undefined (ask the resources)', () => {
    expect(functionFromOutputs(stack(), w)).toBeUndefined();
    expect(functionFromOutputs(stack(own.replace(MOTO_ACCOUNT, OTHER)), w)).toBeUndefined();
    expect(functionFromOutputs(stack(own.replace(E, 'eu-west-1')), w)).toBeUndefined();
    expect(functionFromOutputs(stack(functionArn(E, functionName('vpc'))), w)).toBeUndefined();
    expect(functionFromOutputs(stack(functionArn(E, 'ct-indexer')), w)).toBeUndefined();
  });

  it('GIVEN two different functions of this stack THEN undefined: ambiguous, never a guess', () => {
    expect(functionFromOutputs(stack(own, functionArn(E, functionName('ct', 'awsvpcflow'))), w)).toBeUndefined();
  });
});

describe('verify reads the function from the stack output (moto)', () => {
  const motoServer = useMoto();
  let moto: Moto;
  let dir: string;
  beforeEach(async () => {
    moto = motoServer();
    await moto.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-output-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  async function verify(stacks: readonly string[]) {
    const ops: string[] = [];
    const clients = moto.clients({ onRequest: (i) => ops.push(i.operation.replace(/Command$/, '')) });
    const config = parseConfig(
      {
        taegisRegion: 'ctpx',
        regions: [
          {
            region: E,
            account: MOTO_ACCOUNT,
            lambdaStacks: stacks.map((stackName) => ({
              stackName,
              integrationType: 'awscloudtrail',
              notificationBucket: `logs-${stackName}`,
            })),
          },
        ],
      },
      path.join(dir, 'config.json'),
    );
    const report = await runVerify(clients, {
      config,
      dryRun: false,
      expectRuntime: defaultLambdaRuntime(new Date()),
      logTimeoutSeconds: 0,
      backupDir: path.join(dir, 'backups'),
      concurrency: 4,
    });
    clients.destroy();
    return { report, ops };
  }

  it('GIVEN a stack as deploy leaves it and a console-made one WHEN verify runs THEN both pass; only the console-made one costs a DescribeStackResources', async () => {
    const c = moto.clients();
    // One bucket each: two all-object triggers on one bucket would overlap.
    for (const b of ['logs-migrated', 'logs-console']) await createBucket(c, E, b);
    const migrated = await createLambdaStack(c, E, 'migrated', 'logs-migrated', { migrated: true });
    const consoleMade = await createLambdaStack(c, E, 'console', 'logs-console');
    for (const fn of [migrated, consoleMade]) await putLogLines(c, E, fn, ['Uploading data to s3 done']);

    const { report, ops } = await verify(['migrated', 'console']);

    expect(report.exitCode, JSON.stringify(report.regions)).toBe(0);
    expect(report.regions[0]!.stacks.map((s) => s.functionName)).toEqual([migrated, consoleMade]);
    expect(ops.filter((o) => o === 'DescribeStackResources')).toHaveLength(1);
    expect(ops.filter((o) => o === 'DescribeStacks')).toHaveLength(2);
  });

  it("GIVEN a stack whose output names another stack's function WHEN verify runs THEN the output is not trusted: its own function is found through its resources", async () => {
    const c = moto.clients();
    await createBucket(c, E, 'logs-liar');
    const other = await createLambdaStack(c, E, 'other', 'logs-other', { migrated: true });
    // The seed template with an output that points at the other stack's function.
    const template = JSON.parse(LAMBDA_TEMPLATE) as Record<string, unknown>;
    template.Outputs = { [FUNCTION_ARN_OUTPUT]: { Value: functionArn(E, other) } };
    await c.cloudFormation(E).send(
      new CreateStackCommand({
        StackName: 'liar',
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'IntegrationType', ParameterValue: 'awscloudtrail' },
          { ParameterKey: 'NotificationBucket', ParameterValue: 'logs-liar' },
          { ParameterKey: 'Runtime', ParameterValue: defaultLambdaRuntime(new Date()) },
        ],
      }),
    );
    await putLogLines(c, E, functionName('liar'), ['Uploading data to s3 done']);

    const { report, ops } = await verify(['liar']);

    expect(report.regions[0]!.stacks[0]!.functionName).toBe(functionName('liar'));
    expect(report.exitCode, JSON.stringify(report.regions)).toBe(0);
    expect(ops.filter((o) => o === 'DescribeStackResources')).toHaveLength(1);
  });
});
