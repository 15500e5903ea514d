import { DescribeStacksCommand, ListChangeSetsCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import {
  GetBucketNotificationConfigurationCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../../lib/aws/clients.js';

/**
 * A comparable picture of what tests seed into moto (stacks with their parameters and change sets, functions,
 * buckets with their objects and notifications), read through the APIs. Equal before and after = nothing written.
 */
export async function snapshotState(clients: AwsClientFactory, regions: readonly string[]): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const region of regions) {
    const cfn = clients.cloudFormation(region);
    const summaries = (await cfn.send(new ListStacksCommand({}))).StackSummaries ?? [];
    const stacks = (await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [];
    const changeSets: Record<string, unknown> = {};
    for (const s of stacks) {
      const cs = await cfn.send(new ListChangeSetsCommand({ StackName: s.StackName }));
      changeSets[s.StackName ?? ''] = (cs.Summaries ?? []).map((c) => [c.ChangeSetName, c.Status, c.ExecutionStatus]);
    }
    const functions = ((await clients.lambda(region).send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => [
      f.FunctionName,
      f.Runtime,
      f.LastModified,
      f.CodeSha256,
    ]);
    out[region] = {
      stacks: summaries.map((s) => [s.StackName, s.StackStatus, s.LastUpdatedTime?.toISOString()]).sort(),
      parameters: stacks.map((s) => [s.StackName, s.Parameters]),
      changeSets,
      functions: functions.sort(),
    };
  }
  const s3 = clients.s3(regions[0] ?? 'us-east-1');
  const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
  const bucketState: Record<string, unknown> = {};
  for (const b of buckets) {
    const name = b.Name ?? '';
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: name }))).Contents ?? [];
    const notifications = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: name }));
    bucketState[name] = {
      objects: objects.map((o) => [o.Key, o.ETag]),
      lambda: notifications.LambdaFunctionConfigurations,
      topic: notifications.TopicConfigurations,
      queue: notifications.QueueConfigurations,
    };
  }
  out.buckets = bucketState;
  return out;
}
