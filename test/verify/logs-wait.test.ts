import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../lib/aws/clients.js';
import { waitForLogs } from '../../lib/verify/checks/logs.js';
import { limiter } from '../../lib/util/concurrency.js';
import type { Clock, StackWork } from '../../lib/verify/work.js';
import { LOG_FILTER_PATTERN, SUCCESS_LINE } from '../../lib/facts/taegis.js';

const T0 = new Date('2026-11-27T12:00:00Z');
const logs = mockClient(CloudWatchLogsClient);
const clients = new AwsClientFactory({ credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

/** A clock that only moves when the code under test sleeps. */
function virtualClock(): Clock & { readonly elapsedMs: () => number; readonly sleeps: number[] } {
  let t = T0.getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(t),
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    elapsedMs: () => t - T0.getTime(),
    sleeps,
  };
}

function work(): StackWork {
  return {
    region: 'us-east-1',
    account: '123456789012',
    stackName: 'lab',
    configBucket: 'logs',
    functionName: 'lab-scwx-tdr-lambda-awscloudtrail',
    stack: { StackName: 'lab', StackStatus: 'UPDATE_COMPLETE', CreationTime: T0, LastUpdatedTime: T0 },
    checks: new Map(),
  };
}

const notFound = () =>
  Object.assign(new Error('The specified log group does not exist.'), {
    name: 'ResourceNotFoundException',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => logs.reset());

describe('the log wait on an injected clock', () => {
  it('GIVEN the log group appears 90 s in WHEN waiting up to 300 s THEN it passes on the poll after that, without real waiting', async () => {
    const clock = virtualClock();
    logs.on(FilterLogEventsCommand).callsFake(() => {
      if (clock.elapsedMs() < 90_000) throw notFound();
      return { events: [{ eventId: '1', timestamp: T0.getTime() + 85_000, message: `msg="${SUCCESS_LINE}"` }] };
    });
    const w = work();
    const realStart = Date.now();
    await waitForLogs(() => clients, [w], { logTimeoutSeconds: 300, pollIntervalMs: 10_000 }, clock, limiter(4));

    expect(Date.now() - realStart).toBeLessThan(2_000);
    expect(w.checks.get('logs')).toMatchObject({ status: 'pass' });
    expect(w.checks.get('logs')?.detail).toContain(new Date(T0.getTime() + 85_000).toISOString());
    // Polls at 0, 10, ..., 90 s: the tenth sleep brings the clock to 90 s, and that poll finds the line.
    expect(clock.sleeps).toEqual(Array<number>(9).fill(10_000));
    const input = logs.commandCalls(FilterLogEventsCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      logGroupName: '/aws/lambda/lab-scwx-tdr-lambda-awscloudtrail',
      filterPattern: LOG_FILTER_PATTERN,
      startTime: T0.getTime(),
    });
  });

  it('GIVEN no success line ever WHEN waiting 60 s THEN it fails after the timeout on the clock, the last sleep cut to the deadline', async () => {
    const clock = virtualClock();
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const w = work();
    await waitForLogs(() => clients, [w], { logTimeoutSeconds: 60, pollIntervalMs: 25_000 }, clock, limiter(4));

    expect(clock.sleeps).toEqual([25_000, 25_000, 10_000]);
    expect(clock.elapsedMs()).toBe(60_000);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(4);
    expect(w.checks.get('logs')).toMatchObject({ status: 'fail' });
    expect(w.checks.get('logs')?.detail).toContain(
      `no "${SUCCESS_LINE}" in /aws/lambda/lab-scwx-tdr-lambda-awscloudtrail`,
    );
    expect(w.checks.get('logs')?.durationMs).toBe(60_000);
  });

  it('GIVEN a group of 12 pages WHEN polled THEN a round reads 10 pages and the next round resumes from the token, not from the top', async () => {
    const clock = virtualClock();
    // Recorded at call time: the SDK paginator reuses one input object from page to page.
    const tokens: (string | undefined)[] = [];
    logs.on(FilterLogEventsCommand).callsFake((input: { nextToken?: string }) => {
      tokens.push(input.nextToken);
      const page = input.nextToken === undefined ? 1 : Number(input.nextToken);
      if (page < 12) return { events: [], nextToken: String(page + 1) };
      return { events: [{ eventId: 'x', timestamp: T0.getTime() + 1, message: SUCCESS_LINE }] };
    });
    const w = work();
    await waitForLogs(() => clients, [w], { logTimeoutSeconds: 300, pollIntervalMs: 5_000 }, clock, limiter(4));

    expect(tokens).toEqual([undefined, '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(clock.sleeps).toEqual([5_000]);
    expect(w.checks.get('logs')).toMatchObject({ status: 'pass' });
  });

  it('GIVEN a timeout of 0 WHEN the group does not exist THEN one look, no sleep, and the detail says the group does not exist yet', async () => {
    const clock = virtualClock();
    logs.on(FilterLogEventsCommand).rejects(notFound());
    const w = work();
    await waitForLogs(() => clients, [w], { logTimeoutSeconds: 0 }, clock, limiter(4));
    expect(clock.sleeps).toEqual([]);
    expect(w.checks.get('logs')?.detail).toContain(
      'log group /aws/lambda/lab-scwx-tdr-lambda-awscloudtrail does not exist yet',
    );
  });
});
