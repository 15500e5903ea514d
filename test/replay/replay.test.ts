import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoint } from '../../lib/replay/checkpoint.js';
import { failedEventsFor } from '../../lib/config/failed-events.js';
import { TaegisError } from '../../lib/util/errors.js';
import { encodeS3EventKey, s3PutEvent } from '../../lib/replay/s3-event.js';
import { pacer } from '../../lib/replay/targets.js';
import { exampleConfig } from '../support/example.js';

describe('S3 event keys', () => {
  it.each([
    [
      'AWSLogs/123/CloudTrail/us-east-1/2026/11/20/file.json.gz',
      'AWSLogs/123/CloudTrail/us-east-1/2026/11/20/file.json.gz',
    ],
    ['with space.gz', 'with+space.gz'],
    ['dt=2026-11-20/hour=10/x.gz', 'dt%3D2026-11-20/hour%3D10/x.gz'],
    ['a+b.gz', 'a%2Bb.gz'],
    ["it's (1)!~*.gz", 'it%27s+%281%29%21%7E*.gz'],
    ['résumé&co.gz', 'r%C3%A9sum%C3%A9%26co.gz'],
  ])('GIVEN key %j WHEN encoded THEN %j, and decoding as consumers do gives the key back', (key, encoded) => {
    expect(encodeS3EventKey(key)).toBe(encoded);
    expect(decodeURIComponent(encodeS3EventKey(key).replace(/\+/g, ' '))).toBe(key);
  });

  it('GIVEN a listed object WHEN made an event THEN the ETag loses its quotes and the ARN carries the partition', () => {
    const e = s3PutEvent(
      { name: 'b', partition: 'aws-us-gov', region: 'us-gov-west-1' },
      { key: 'k', size: 3, eTag: '"abc"', lastModified: new Date('2026-11-20T10:00:00Z') },
    );
    expect(e.Records[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: 'us-gov-west-1',
      eventTime: '2026-11-20T10:00:00.000Z',
      s3: { bucket: { name: 'b', arn: 'arn:aws-us-gov:s3:::b' }, object: { key: 'k', size: 3, eTag: 'abc' } },
    });
  });
});

describe('failedEvents settings', () => {
  it('GIVEN the top level and a stack entry WHEN resolved THEN the stack wins field by field; keep defaults to off', () => {
    const top = { failedEvents: { keep: true, retentionDays: 7, maxRetryAttempts: 1 } };
    expect(failedEventsFor(top, {})).toEqual({ retentionDays: 7, maxRetryAttempts: 1 });
    expect(failedEventsFor(top, { failedEvents: { maxEventAgeSeconds: 600 } })).toEqual({
      retentionDays: 7,
      maxRetryAttempts: 1,
      maxEventAgeSeconds: 600,
    });
    expect(failedEventsFor(top, { failedEvents: { keep: false } })).toBeUndefined();
    expect(failedEventsFor({}, { failedEvents: { keep: true } })).toEqual({ retentionDays: 14 });
    expect(failedEventsFor({}, {})).toBeUndefined();
  });

  it.each([
    [{ keep: true, retentionDays: 15 }, 'failedEvents.retentionDays', 'SQS keeps a message at most 14 days'],
    [{ keep: true, maxRetryAttempts: 3 }, 'failedEvents.maxRetryAttempts', 'at most twice'],
    [{ keep: true, maxEventAgeSeconds: 30 }, 'failedEvents.maxEventAgeSeconds', '60 to 21600'],
    [{ keep: 'yes' }, 'failedEvents.keep', 'true or false'],
    [{ keep: true, queue: 'x' }, 'failedEvents', 'queue'],
  ])('GIVEN failedEvents %j WHEN loaded THEN bad config naming %s', (value, where, fix) => {
    let err: unknown;
    try {
      exampleConfig((raw) => {
        raw.failedEvents = value;
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TaegisError);
    expect((err as TaegisError).exitCode).toBe(2);
    expect((err as TaegisError).format()).toContain(where);
    expect((err as TaegisError).format()).toContain(fix);
  });
});

describe('pacer', () => {
  it('GIVEN 4 per second WHEN five calls come at once THEN they are spaced 250 ms apart', async () => {
    const waits: number[] = [];
    const pace = pacer(4, (ms) => {
      waits.push(ms);
      return Promise.resolve();
    });
    for (let i = 0; i < 5; i++) await pace();
    expect(waits).toHaveLength(4);
    // Each wait is the gap to the call's slot, measured against a clock that barely moved.
    waits.forEach((w, i) => expect(w).toBeGreaterThan(250 * (i + 1) - 50));
  });
});

describe('backfill checkpoint', () => {
  it('GIVEN a file that is not a checkpoint WHEN loaded THEN bad input naming the file and line', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cp-')), 'cp.jsonl');
    writeFileSync(file, '{"target":"a/b/c","bucket":"b","key":"k","eTag":"e","lastModified":"t"}\nnot json\n');
    expect(() => Checkpoint.load(file)).toThrow(/line 2 is not a backfill checkpoint entry/);
  });

  it('GIVEN entries added WHEN loaded again THEN the same object is known, another ETag of the key is not', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cp-')), 'sub', 'cp.jsonl');
    const e = { target: 'a/r/s', bucket: 'b', key: 'k', eTag: 'e1', lastModified: '2026-11-20T10:00:00.000Z' };
    Checkpoint.load(file).add({ ...e, sentAt: '2026-11-21T00:00:00.000Z' });
    const again = Checkpoint.load(file);
    expect(again.has(e)).toBe(true);
    expect(again.has({ ...e, eTag: 'e2' })).toBe(false);
  });
});
