import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { TaegisError } from '../../lib/util/errors.js';

const CONFIG_PATH = path.resolve('/tmp/project/taegis.config.json');
const base = (extra: Record<string, unknown>, stack: Record<string, unknown> = {}) => ({
  taegisRegion: 'delta',
  regions: [
    {
      region: 'us-east-1',
      account: '123456789012',
      lambdaStacks: [
        { stackName: 'ct', integrationType: 'awscloudtrail', notificationBucket: 'lab-ct-logs', ...stack },
      ],
    },
  ],
  ...extra,
});
const problems = (raw: unknown): string[] => {
  try {
    parseConfig(raw, CONFIG_PATH);
  } catch (err) {
    expect((err as TaegisError).exitCode).toBe(2);
    return (err as TaegisError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
};

describe('config: taegis and monitoring sections, per-stack source names', () => {
  it('GIVEN valid sections WHEN parsed THEN they are typed, with monitoring defaults', () => {
    const cfg = parseConfig(
      base(
        {
          taegis: { tenantId: '50530', clientId: { env: 'TAEGIS_CLIENT_ID' }, clientSecret: { file: 'secrets/s' } },
          monitoring: {},
        },
        { taegisSourceId: 'src-1', taegisSensorType: 'AWS_CLOUDTRAIL' },
      ),
      CONFIG_PATH,
    );
    expect(cfg.taegis?.tenantId).toBe('50530');
    expect(cfg.monitoring).toEqual({ silenceMinutes: 360, emails: [] });
    expect(cfg.regions[0]?.lambdaStacks[0]?.taegisSourceId).toBe('src-1');
  });

  it('GIVEN a client secret pasted into the config WHEN parsed THEN it is refused without being echoed', () => {
    const secret = 'pasted-secret-value-123456';
    let err: TaegisError | undefined;
    try {
      parseConfig(base({ taegis: { tenantId: '1', clientId: { env: 'X' }, clientSecret: secret } }), CONFIG_PATH);
    } catch (e) {
      err = e as TaegisError;
    }
    expect(err?.format()).toMatch(/taegis.clientSecret: must be \{"env": "VARIABLE"\} or \{"file": "path"\}/);
    expect(err?.format()).not.toContain(secret);
  });

  it('GIVEN bad monitoring values WHEN parsed THEN each is named with its fix', () => {
    expect(
      problems(base({ monitoring: { silenceMinutes: 7, alarmTopicArn: 'secops', emails: ['not-a-mail'] } })),
    ).toEqual([
      'monitoring.silenceMinutes: is not a multiple of 5',
      'monitoring.alarmTopicArn: is not an SNS topic ARN',
      'monitoring.emails[0]: is not an e-mail address',
    ]);
    expect(problems(base({ monitoring: { silenceMinutes: 2000 } }))).toEqual([
      'monitoring.silenceMinutes: is above 1440 (a day)',
    ]);
  });
});
