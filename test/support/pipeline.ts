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

/** The page whose CodePipeline example the pipeline tests synthesize. */
export const PIPELINE_DOC = 'docs/pipelines.md';

/**
 * The CodePipeline example of docs/pipelines.md (`page`, its text): the `json` block under "## AWS CodePipeline",
 * added to the bundled example config (`raw`), as a user following the page writes it. Throws when the page no longer
 * has the block.
 */
export function docsPipelineExample(raw: Record<string, unknown>, page: string): void {
  const section = page.split(/^## AWS CodePipeline.*$/m)[1];
  const block = section === undefined ? undefined : /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (block === undefined) throw new Error(`${PIPELINE_DOC}: no json block under "## AWS CodePipeline"`);
  Object.assign(raw, JSON.parse(`{${block}}`) as Record<string, unknown>);
}

/**
 * A pipeline config whose wave names, accounts and regions appear in no other test: eight targets over four accounts
 * and six regions; waves of one target, a glob over one account, a glob over regions, and "*" with approval.
 */
export function heldOutPipelineRaw(raw: Record<string, unknown>): void {
  const lambda = (account: string, region: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      stackName: `ho-${region}-${i}-lambda`,
      integrationType: i % 2 === 0 ? 'awscloudtrail' : 'awsvpcflowlogs',
      notificationBucket: `ho-${account}-${region}-logs-${i}`,
    }));
  const targets: [string, string, number][] = [
    ['480213579246', 'ap-southeast-2', 1],
    ['480213579246', 'sa-east-1', 2],
    ['591324680357', 'ca-central-1', 1],
    ['591324680357', 'eu-north-1', 1],
    ['591324680357', 'ap-northeast-1', 2],
    ['602435791468', 'eu-central-1', 1],
    ['602435791468', 'ca-central-1', 1],
    ['713546802579', 'eu-north-1', 3],
  ];
  raw.regions = targets.map(([account, region, n]) => ({ account, region, lambdaStacks: lambda(account, region, n) }));
  raw.credentialsSecret = { name: 'ho/taegis-credentials' };
  raw.pipeline = {
    account: '824657913580',
    region: 'me-central-1',
    source: {
      connectionArn:
        'arn:aws:codeconnections:me-central-1:824657913580:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      repository: 'heldout-org/log-migration',
      branch: 'release',
    },
    waves: [
      { name: 'Lookout', targets: ['480213579246/ap-southeast-2'] },
      { name: 'second-Account', targets: ['591324680357/*'] },
      { name: 'Z9-northern', targets: ['713546802579/*', '*/eu-central-1'], approval: true },
      { name: 'remainder', targets: ['*'], approval: true },
    ],
  };
}

/**
 * A generated fleet: `accounts` accounts x `regions`, one or two Lambda stacks per target (every third target two),
 * the pipeline in its own account. Waves: a one-target pilot, a glob wave of ten accounts (tolerance 10%, 4 at once),
 * then "*" with approval (tolerance 5).
 */
export function fleetRaw(raw: Record<string, unknown>, accounts: number, regions: readonly string[]): void {
  const account = (i: number) => `6060${String(i).padStart(8, '0')}`;
  let n = 0;
  raw.regions = Array.from({ length: accounts }, (_, a) =>
    regions.map((region) => {
      n += 1;
      return {
        account: account(a),
        region,
        lambdaStacks: Array.from({ length: n % 3 === 0 ? 2 : 1 }, (_, i) => ({
          stackName: `fl-${a}-${i}-lambda`,
          integrationType: 'awscloudtrail',
          notificationBucket: `fl-${account(a)}-${region}-${i}`,
        })),
      };
    }),
  ).flat();
  raw.credentialsSecret = { name: 'fleet/taegis-credentials' };
  raw.pipeline = {
    account: '707070707070',
    region: 'eu-west-3',
    source: {
      connectionArn: 'arn:aws:codeconnections:eu-west-3:707070707070:connection/fleet',
      repository: 'fleet-org/taegis',
      branch: 'main',
    },
    waves: [
      { name: 'pilot', targets: [`${account(0)}/${regions[0]}`] },
      { name: 'ten-accounts', targets: [`60600000000?/*`], failureTolerance: '10%', maxConcurrency: 4 },
      { name: 'everything-else', targets: ['*'], approval: true, failureTolerance: 5 },
    ],
  };
}
