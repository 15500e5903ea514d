import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeDeprecationMessage } from '../../lib/facts/lambda-runtimes.js';
import { parseConfig } from '../../lib/config/load.js';
import { ExitCode, TaegisError } from '../../lib/util/errors.js';
import {
  defaultLambdaRuntime,
  RUNTIME_LIFECYCLES,
  runtimeStage,
  runtimeWarning,
  SUCCESSOR_RUNTIME,
} from '../../lib/facts/lambda-runtimes.js';
import { exampleRawConfig } from '../support/example.js';

const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);
/** The last second of the day before `iso`. */
const eve = (iso: string): Date => new Date(day(iso).getTime() - 1000);

interface ValidatorDiagnostic {
  readonly ruleId: string;
  readonly message: string;
  readonly entity?: { readonly logicalId?: string };
}
interface Validator {
  version(): string;
  CompositeEngine: new (config?: object) => {
    validateTemplate(t: unknown, c?: object): { diagnostics: ValidatorDiagnostic[] };
    free(): void;
  };
  TemplateContent: new (content: string, name?: string) => unknown;
}

/** AWS's validator exactly as the pinned aws-cdk-lib resolves it (its own nested dependency), not some other copy. */
function loadValidator(): { validator: Validator; cdkVersion: string } {
  const here = createRequire(import.meta.url);
  const cdkPackage = here.resolve('aws-cdk-lib/package.json');
  const fromCdk = createRequire(cdkPackage);
  return {
    validator: fromCdk('@aws/cloudformation-validate') as Validator,
    cdkVersion: (here(cdkPackage) as { version: string }).version,
  };
}

const LIFECYCLE_MESSAGE =
  /^Runtime '([^']+)' was deprecated on '(\d{4}-\d\d-\d\d)'\. Creation (?:will be|was) disabled on '(\d{4}-\d\d-\d\d)', and updates (?:will be|were) disabled on '(\d{4}-\d\d-\d\d)'\. Please consider updating to '([^']+)'/;

describe('the runtime table against AWS validator in the pinned aws-cdk-lib', () => {
  it('GIVEN one function per runtime WHEN @aws/cloudformation-validate checks the template THEN its deprecation findings (W2531/E2531) are exactly the table', () => {
    const { validator } = loadValidator();
    const runtimes = [...RUNTIME_LIFECYCLES.map((l) => l.runtime), SUCCESSOR_RUNTIME];
    const resources = Object.fromEntries(
      runtimes.map((runtime, i) => [
        `Fn${i}`,
        {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Runtime: runtime,
            Handler: 'bootstrap',
            Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
            Code: { S3Bucket: 'b', S3Key: 'taegis-lambda-amd64.zip' },
          },
        },
      ]),
    );
    const engine = new validator.CompositeEngine({});
    try {
      const report = engine.validateTemplate(
        new validator.TemplateContent(JSON.stringify({ Resources: resources }), 'runtimes.json'),
        { detailLevel: 'STANDARD', severityLevel: 'INFO' },
      );
      const found = report.diagnostics
        .filter((d) => /^[EW]2531$/.test(d.ruleId))
        .map((d) => {
          const m = LIFECYCLE_MESSAGE.exec(d.message);
          // A new wording must fail here, loudly, rather than make the table unverifiable.
          expect(m, `unparsed validator message: ${d.message}`).not.toBeNull();
          return {
            runtime: m![1]!,
            deprecated: m![2]!,
            blockCreate: m![3]!,
            blockUpdate: m![4]!,
            successor: m![5]!,
          };
        })
        .sort((a, b) => a.runtime.localeCompare(b.runtime));
      expect(found).toEqual([...RUNTIME_LIFECYCLES].sort((a, b) => a.runtime.localeCompare(b.runtime)));
      // The successor has no finding: the default may move to it.
      expect(found.map((f) => f.runtime)).not.toContain(SUCCESSOR_RUNTIME);
    } finally {
      engine.free();
    }
  });

  it('GIVEN the table THEN its stated source names the validator and aws-cdk-lib versions that are installed', () => {
    const { validator, cdkVersion } = loadValidator();
    const source = readFileSync(
      path.join(import.meta.dirname, '..', '..', 'lib', 'facts', 'lambda-runtimes.ts'),
      'utf8',
    );
    expect(source).toContain(`aws-cdk-lib (${cdkVersion})`);
    expect(source).toContain(`\`@aws/cloudformation-validate\` ${validator.version()}`);
  });
});

describe('the runtime rule, with the clock pinned on both sides of every boundary', () => {
  it.each([
    ['2026-07-30T23:59:59Z', 'supported'],
    ['2026-07-31T00:00:00Z', 'deprecated'],
    ['2027-01-31T23:59:59Z', 'deprecated'],
    ['2027-02-01T00:00:00Z', 'create-blocked'],
    ['2027-03-02T23:59:59Z', 'create-blocked'],
    ['2027-03-03T00:00:00Z', 'update-blocked'],
  ])('GIVEN %s THEN provided.al2 is %s', (iso, stage) => {
    expect(runtimeStage('provided.al2', new Date(iso))).toBe(stage);
    expect(runtimeStage('provided.al2023', new Date(iso))).toBe('supported');
  });

  it.each([
    [eve('2026-07-31'), 'provided.al2'],
    [day('2026-07-31'), 'provided.al2'],
    [eve('2027-02-01'), 'provided.al2'],
    [day('2027-02-01'), 'provided.al2'],
    [eve('2027-03-03'), 'provided.al2'],
    [day('2027-03-03'), 'provided.al2023'],
    [day('2030-01-01'), 'provided.al2023'],
  ])('GIVEN no lambdaRuntime on %s THEN the default is %s', (now, runtime) => {
    expect(defaultLambdaRuntime(now)).toBe(runtime);
    const cfg = parseConfig(exampleRawConfig(), '/x/taegis.config.json', { now });
    expect(cfg.lambdaRuntime).toBe(runtime);
    expect(cfg.lambdaRuntimeChosenBy).toBe('default');
  });

  const withRuntime = (extra: Record<string, unknown>): Record<string, unknown> => ({
    ...exampleRawConfig(),
    ...extra,
  });
  const refusal = (fn: () => unknown): TaegisError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof TaegisError) return err;
      throw err;
    }
    throw new Error('expected the config to be refused');
  };

  it('GIVEN an explicit provided.al2 the day before the block-update date THEN it is accepted', () => {
    const cfg = parseConfig(withRuntime({ lambdaRuntime: 'provided.al2' }), '/x/c.json', { now: eve('2027-03-03') });
    expect(cfg.lambdaRuntime).toBe('provided.al2');
    expect(cfg.lambdaRuntimeChosenBy).toBe('config');
  });

  it('GIVEN an explicit provided.al2 on the block-update date THEN the config is refused (exit 2) with the dates and the fix', () => {
    const err = refusal(() =>
      parseConfig(withRuntime({ lambdaRuntime: 'provided.al2' }), '/x/c.json', { now: day('2027-03-03') }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.exitCode).toBe(ExitCode.BadInput);
    expect(err.problems).toHaveLength(1);
    const p = err.problems[0]!;
    expect(p.path).toBe('lambdaRuntime');
    for (const d of ['2026-07-31', '2027-02-01', '2027-03-03']) expect(p.message).toContain(d);
    expect(p.message).toContain('today is 2027-03-03');
    expect(p.fix).toContain('"lambdaRuntime": "provided.al2023"');
    expect(p.fix).toContain('"acknowledgeBlockedRuntime": "provided.al2"');
  });

  it('GIVEN provided.al2 acknowledged with acknowledgeBlockedRuntime after the block-update date THEN it is accepted', () => {
    const cfg = parseConfig(
      withRuntime({ lambdaRuntime: 'provided.al2', acknowledgeBlockedRuntime: 'provided.al2' }),
      '/x/c.json',
      { now: day('2027-06-01') },
    );
    expect(cfg.lambdaRuntime).toBe('provided.al2');
  });

  it('GIVEN acknowledgeBlockedRuntime without the same lambdaRuntime THEN the config is refused whatever the date', () => {
    for (const extra of [
      { acknowledgeBlockedRuntime: 'provided.al2' },
      { acknowledgeBlockedRuntime: 'provided.al2', lambdaRuntime: 'provided.al2023' },
    ]) {
      const err = refusal(() => parseConfig(withRuntime(extra), '/x/c.json', { now: day('2026-11-27') }));
      expect(err.problems.map((p) => p.path)).toEqual(['acknowledgeBlockedRuntime']);
    }
    const err = refusal(() =>
      parseConfig(withRuntime({ acknowledgeBlockedRuntime: 'nodejs18.x' }), '/x/c.json', { now: day('2026-11-27') }),
    );
    expect(err.problems[0]?.path).toBe('acknowledgeBlockedRuntime');
  });

  it('GIVEN provided.al2023 after every date THEN it is accepted and has no notice', () => {
    const now = day('2031-01-01');
    expect(parseConfig(withRuntime({ lambdaRuntime: 'provided.al2023' }), '/x/c.json', { now }).lambdaRuntime).toBe(
      'provided.al2023',
    );
    expect(runtimeDeprecationMessage('provided.al2023', now)).toBeUndefined();
    expect(runtimeWarning('provided.al2023', now)).toBeUndefined();
  });

  it.each([
    [eve('2026-07-31'), 'config', undefined],
    [eve('2026-07-31'), 'default', 'AWS deprecates it on 2026-07-31'],
    [day('2026-07-31'), 'config', 'deprecated since 2026-07-31'],
    [eve('2027-02-01'), 'default', 'deprecated since 2026-07-31'],
    [day('2027-02-01'), 'config', 'new functions refused since 2027-02-01'],
    [eve('2027-03-03'), 'config', 'new functions refused since 2027-02-01'],
  ] as const)(
    'GIVEN provided.al2 before the block-update date (%s, chosen by %s) THEN the notice is two short lines with the standing and the move, or nothing when the config pins it before deprecation',
    (now, chosenBy, standing) => {
      const message = runtimeDeprecationMessage('provided.al2', now, chosenBy);
      if (standing === undefined) {
        expect(message).toBeUndefined();
        return;
      }
      const lines = message!.split('\n');
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(160);
      expect(lines[0]).toContain(`note: lambdaRuntime provided.al2 (`);
      expect(lines[0]).toContain(`: ${standing}`);
      expect(lines[0]).toContain('updating functions on it fails from 2027-03-03');
      expect(lines[1]).toContain('Set "lambdaRuntime": "provided.al2023" to move');
    },
  );

  it('GIVEN the default chose provided.al2 THEN the notice says the default moves to provided.al2023 on 2027-03-03', () => {
    const message = runtimeDeprecationMessage('provided.al2', day('2026-11-27'), 'default')!;
    expect(message).toContain("(the vendor's, the default)");
    expect(message).toContain('without it taegis-migrate switches on 2027-03-03');
  });

  it('GIVEN a function on go1.x or provided.al2 THEN verify and discover warn with the table dates', () => {
    expect(runtimeWarning('provided.al2', day('2026-11-27'))).toBe(
      'runtime provided.al2 (as of 2026-11-27): deprecated by AWS since 2026-07-31; updates still work until 2027-03-03 (deprecated 2026-07-31, creation blocked from 2027-02-01, updates blocked from 2027-03-03); move to provided.al2023',
    );
    expect(runtimeWarning('provided.al2', day('2027-03-03'))).toContain(
      'AWS refuses updates of functions on it since 2027-03-03',
    );
    expect(runtimeWarning('go1.x', day('2026-11-27'))).toContain('AWS refuses new functions on it since 2024-02-08');
  });
});
