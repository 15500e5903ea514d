import {
  CreateStackCommand,
  DescribeStacksCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../support/moto.js';

describe('moto harness', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  it('GIVEN a started moto WHEN a bucket is created through the client factory THEN it is listed, and reset wipes it', async () => {
    const s3 = moto.clients().s3('us-east-1');
    await s3.send(new CreateBucketCommand({ Bucket: 'harness-check' }));
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toEqual(['harness-check']);
    await moto.reset();
    const after = await s3.send(new ListBucketsCommand({}));
    expect(after.Buckets ?? []).toEqual([]);
  });

  it('GIVEN an unprotected stack WHEN UpdateTerminationProtection turns protection on and off THEN DescribeStacks shows each (launcher correction 3)', async () => {
    const cfn = moto.clients().cloudFormation('us-east-1');
    const template = JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
    await cfn.send(new CreateStackCommand({ StackName: 'tp-check', TemplateBody: template }));
    const protection = async () =>
      (await cfn.send(new DescribeStacksCommand({ StackName: 'tp-check' }))).Stacks?.[0]?.EnableTerminationProtection;
    expect(await protection()).toBe(false);
    await cfn.send(
      new UpdateTerminationProtectionCommand({ StackName: 'tp-check', EnableTerminationProtection: true }),
    );
    expect(await protection()).toBe(true);
    await cfn.send(
      new UpdateTerminationProtectionCommand({ StackName: 'tp-check', EnableTerminationProtection: false }),
    );
    expect(await protection()).toBe(false);
  });
});
