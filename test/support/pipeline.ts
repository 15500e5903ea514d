export const CANARY = '222222222222/us-west-2';

/** Three targets in two accounts: two waves, the second with approval. */
export function pipelineRaw(raw: Record<string, unknown>): void {
  (raw.regions as Record<string, unknown>[]).push({
    region: 'us-west-2',
    account: '222222222222',
    lambdaStacks: [
      { stackName: 'w2-trail-lambda', integrationType: 'awscloudtrail', notificationBucket: 'w2-trail-logs' },
    ],
  });
  raw.credentialsSecret = { name: 'taegis-migrate/credentials' };
  raw.pipeline = {
    account: '111111111111',
    region: 'us-east-1',
    source: {
      connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc',
      repository: 'acme/taegis-migration',
      branch: 'main',
    },
    waves: [
      { name: 'canary', targets: [CANARY] },
      { name: 'rest', targets: ['*'], approval: true },
    ],
  };
}
