import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { readCredentials } from '../../lib/artifacts/vendor.js';
import { loadConfig } from '../../lib/config/load.js';
import { TaegisError } from '../../lib/util/errors.js';
import { copyExample, ROOT, writeJson } from '../support/example.js';
import { listFiles } from '../support/files.js';
import { run } from '../support/run.js';
import { makeZip } from '../support/zip.js';

interface Raw {
  [key: string]: unknown;
  regions: { lambdaStacks: Record<string, unknown>[] }[];
}
const stack0 = (raw: Raw): Record<string, unknown> => raw.regions[0]!.lambdaStacks[0]!;
const LAMBDA_T = 'taegis-cloudformation-lambda-template.yaml';
const SHARED_T = 'taegis-cloudformation-shared-resources.yaml';

interface Case {
  readonly name: string;
  /** Break the config (as written). */
  readonly config?: (raw: Raw) => void;
  /** Break the artifacts in the copied folder. */
  readonly artifacts?: (dir: string) => void;
  readonly regions?: string[];
  readonly requireCredentials?: boolean;
  readonly code: string;
  /** The exact error text, with the copied folder shown as <dir>. */
  readonly error: string;
}

const edit = (dir: string, file: string, from: string | RegExp, to: string) => {
  const f = path.join(dir, file);
  const before = readFileSync(f, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`test setup: ${String(from)} not found in ${file}`);
  writeFileSync(f, after);
};

const CASES: Case[] = [
  {
    name: 'unknown key, missing field and malformed ARN in one config',
    config: (raw) => {
      raw.taegisregion = 'ctpx';
      delete stack0(raw).notificationBucket;
      stack0(raw).snsNotificationArn = 'arn:aws:sqs:us-east-1:123456789012:not-a-topic';
    },
    code: 'CONFIG_INVALID',
    error:
      'error CONFIG_INVALID: config <dir>/taegis.config.json: 3 problems found; nothing was changed\n  - regions[0].lambdaStacks[0].notificationBucket: is required but missing (fix: add "notificationBucket" (see docs/config.md))\n  - regions[0].lambdaStacks[0].snsNotificationArn: is not an SNS topic ARN (fix: use arn:aws:sns:<region>:<account>:<topic>, or remove the field)\n  - taegisregion: is not a known field (fix: remove it or correct its spelling (field names are case-sensitive; see docs/config.md))',
  },
  {
    name: 'a schema problem and values the templates do not allow, all in the same error',
    config: (raw) => {
      (raw.regions[0] as Record<string, unknown>).account = '12345';
      raw.taegisRegion = 'zulu';
      stack0(raw).integrationType = 'awscloudtrial';
    },
    code: 'CONFIG_INVALID',
    error:
      'error CONFIG_INVALID: config <dir>/taegis.config.json: 3 problems found; nothing was changed\n  - regions[0].account: is not a 12-digit AWS account id (fix: quote it as a string of exactly 12 digits, e.g. "123456789012")\n  - taegisRegion: "zulu" is not allowed by taegis-cloudformation-shared-resources.yaml (parameter TaegisRegion allows: ctpx, delta, echo, foxtrot) (fix: use one of "ctpx", "delta", "echo", "foxtrot")\n  - regions[0].lambdaStacks[0].integrationType: "awscloudtrial" is not allowed by taegis-cloudformation-lambda-template.yaml (parameter IntegrationType allows: awscloudtrail, awscloudwatchlogs, awsalb, awsvpcflowlogs, awswaf, ciscoumbrella, generic) (fix: use one of "awscloudtrail", "awscloudwatchlogs", "awsalb", "awsvpcflowlogs", "awswaf", "ciscoumbrella", "generic")',
  },
  {
    name: 'both taegisRegion and xdrLoginUrl',
    config: (raw) => (raw.xdrLoginUrl = 'https://delta.taegis.secureworks.com/'),
    code: 'CONFIG_INVALID',
    error:
      'error CONFIG_INVALID: config <dir>/taegis.config.json: 1 problem found; nothing was changed\n  - xdrLoginUrl: both "taegisRegion" and "xdrLoginUrl" are set (fix: set exactly one of them)',
  },
  {
    name: 'Taegis region and integration types the templates do not allow, every one listed',
    config: (raw) => {
      raw.taegisRegion = 'zulu';
      stack0(raw).integrationType = 'awsguardduty';
      raw.regions[1]!.lambdaStacks[0]!.integrationType = 'AWSCLOUDTRAIL';
    },
    code: 'CONFIG_INVALID',
    error:
      'error CONFIG_INVALID: config <dir>/taegis.config.json does not fit the vendor templates: 3 problems found; nothing was changed\n  - taegisRegion: "zulu" is not allowed by taegis-cloudformation-shared-resources.yaml (parameter TaegisRegion allows: ctpx, delta, echo, foxtrot) (fix: use one of "ctpx", "delta", "echo", "foxtrot")\n  - regions[0].lambdaStacks[0].integrationType: "awsguardduty" is not allowed by taegis-cloudformation-lambda-template.yaml (parameter IntegrationType allows: awscloudtrail, awscloudwatchlogs, awsalb, awsvpcflowlogs, awswaf, ciscoumbrella, generic) (fix: use one of "awscloudtrail", "awscloudwatchlogs", "awsalb", "awsvpcflowlogs", "awswaf", "ciscoumbrella", "generic")\n  - regions[1].lambdaStacks[0].integrationType: "AWSCLOUDTRAIL" is not allowed by taegis-cloudformation-lambda-template.yaml (parameter IntegrationType allows: awscloudtrail, awscloudwatchlogs, awsalb, awsvpcflowlogs, awswaf, ciscoumbrella, generic) (fix: use one of "awscloudtrail", "awscloudwatchlogs", "awsalb", "awsvpcflowlogs", "awswaf", "ciscoumbrella", "generic")',
  },
  {
    name: 'Taegis region derived from the login URL but not allowed by the shared template',
    config: (raw) => {
      delete raw.taegisRegion;
      raw.xdrLoginUrl = 'https://golf.taegis.secureworks.com/login';
    },
    code: 'CONFIG_INVALID',
    error:
      'error CONFIG_INVALID: config <dir>/taegis.config.json does not fit the vendor templates: 1 problem found; nothing was changed\n  - xdrLoginUrl: "golf" is not allowed by taegis-cloudformation-shared-resources.yaml (parameter TaegisRegion allows: ctpx, delta, echo, foxtrot) (fix: use one of "ctpx", "delta", "echo", "foxtrot")',
  },
  {
    name: 'a region selected with -c region that is not configured',
    regions: ['ap-south-1'],
    code: 'INPUT_INVALID',
    error:
      'error INPUT_INVALID: region ap-south-1 is not in <dir>/taegis.config.json\nfix: use one of us-east-1, eu-west-1, or add the region to "regions" in the config',
  },
  {
    name: 'zip that is not a zip',
    artifacts: (dir) => writeFileSync(path.join(dir, 'taegis-lambda-amd64.zip'), 'PK not really a zip'),
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 1 problem found; nothing was changed\n  - <dir>/taegis-lambda-amd64.zip: is not a readable zip (End of central directory record signature not found. Either not a zip file, or file is truncated.) (fix: download taegis-lambda-amd64.zip again from the Taegis console; do not unpack or re-pack it)',
  },
  {
    name: 'zip without a bootstrap entry (re-packed with its folder)',
    artifacts: (dir) =>
      writeFileSync(
        path.join(dir, 'taegis-lambda-amd64.zip'),
        makeZip([{ name: 'taegis/bootstrap', content: 'x', mode: 0o100755 }]),
      ),
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 1 problem found; nothing was changed\n  - <dir>/taegis-lambda-amd64.zip: has no entry named "bootstrap" at its root (the provided.al2 runtime starts that file) (fix: use the vendor zip unchanged; if you re-packed it, zip the files themselves, not their folder)',
  },
  {
    name: 'zip whose bootstrap is a symbolic link',
    artifacts: (dir) =>
      writeFileSync(
        path.join(dir, 'taegis-lambda-amd64.zip'),
        makeZip([{ name: 'bootstrap', content: '/usr/bin/true', mode: 0o120777 }]),
      ),
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 1 problem found; nothing was changed\n  - <dir>/taegis-lambda-amd64.zip: its "bootstrap" entry is not a regular file (type 120000, e.g. a symbolic link) (fix: use the vendor zip unchanged; if you re-packed it, zip the bootstrap file itself (zip without -y))',
  },
  {
    name: 'zip whose bootstrap is not executable',
    artifacts: (dir) =>
      writeFileSync(
        path.join(dir, 'taegis-lambda-amd64.zip'),
        makeZip([{ name: 'bootstrap', content: 'x', mode: 0o100644 }]),
      ),
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 1 problem found; nothing was changed\n  - <dir>/taegis-lambda-amd64.zip: its "bootstrap" entry is not executable (mode 0644) (fix: use the vendor zip unchanged; if you must re-pack it, do so on Linux/macOS after "chmod 755 bootstrap")',
  },
  {
    name: 'missing zip and a template that is not YAML',
    artifacts: (dir) => {
      rmSync(path.join(dir, 'taegis-lambda-amd64.zip'));
      edit(dir, SHARED_T, 'Parameters:', 'Parameters: [unclosed');
    },
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 2 problems found; nothing was changed\n  - <dir>/taegis-lambda-amd64.zip: does not exist (fix: download it again from the Taegis console (Integrations > Cloud Providers > AWS) into artifactsDir)\n  - <dir>/taegis-cloudformation-shared-resources.yaml: is not CloudFormation YAML: Insufficient indentation in flow collection at line 8, column 13 (fix: download it again; if you edited it, fix the YAML at the line shown)',
  },
  {
    name: 'Lambda template with two functions and without TaegisLambdaS3BucketName',
    artifacts: (dir) => {
      edit(dir, LAMBDA_T, '  TaegisLambdaS3BucketName:', '  RenamedBucketParameter:');
      edit(
        dir,
        LAMBDA_T,
        /\nOutputs:/,
        '\n  SecondFunction:\n    Type: AWS::Lambda::Function\n    Properties: {}\nOutputs:',
      );
    },
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 2 problems found; nothing was changed\n  - <dir>/taegis-cloudformation-lambda-template.yaml: Parameters: does not declare the parameter "TaegisLambdaS3BucketName" that taegis-migrate sets (fix: check that this is the right file (taegis-cloudformation-lambda-template.yaml) and that it is the vendor\'s current version)\n  - <dir>/taegis-cloudformation-lambda-template.yaml: Resources: declares 2 AWS::Lambda::Function resources (ScwxTdrLambdaFunction, SecondFunction); exactly one is expected (fix: use the vendor Lambda template unchanged (taegis-cloudformation-lambda-template.yaml))',
  },
  {
    name: 'a broken zip and an integration type the template does not allow, in one error',
    config: (raw) => (stack0(raw).integrationType = 'awsguardduty'),
    artifacts: (dir) =>
      writeFileSync(path.join(dir, 'taegis-lambda-amd64.zip'), makeZip([{ name: 'bootstrap', content: 'x' }])),
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts and config <dir>/taegis.config.json: 2 problems found; nothing was changed\n  - <dir>/taegis-lambda-amd64.zip: its "bootstrap" entry is not executable (mode 0644) (fix: use the vendor zip unchanged; if you must re-pack it, do so on Linux/macOS after "chmod 755 bootstrap")\n  - regions[0].lambdaStacks[0].integrationType: "awsguardduty" is not allowed by taegis-cloudformation-lambda-template.yaml (parameter IntegrationType allows: awscloudtrail, awscloudwatchlogs, awsalb, awsvpcflowlogs, awswaf, ciscoumbrella, generic) (fix: use one of "awscloudtrail", "awscloudwatchlogs", "awsalb", "awsvpcflowlogs", "awswaf", "ciscoumbrella", "generic")',
  },
  {
    name: 'shared template whose SecretValue is not NoEcho',
    artifacts: (dir) => edit(dir, SHARED_T, '    NoEcho: true\n', ''),
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 1 problem found; nothing was changed\n  - <dir>/taegis-cloudformation-shared-resources.yaml: Parameters.SecretValue: is not NoEcho, so CloudFormation would show the credentials to anyone who can describe the stack (fix: use the vendor template unchanged (it declares NoEcho: true))',
  },
  {
    name: 'empty credentials.txt when deploying',
    artifacts: (dir) => writeFileSync(path.join(dir, 'credentials.txt'), '\n  \n'),
    requireCredentials: true,
    code: 'ARTIFACT_INVALID',
    error:
      'error ARTIFACT_INVALID: vendor artifacts: 1 problem found; nothing was changed\n  - <dir>/credentials.txt: is empty (fix: download credentials.txt from the Taegis console into <dir> (it is ignored by git))',
  },
];

describe('bad input: one clear error listing every problem, and nothing synthesized', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each(CASES)('$name', async (c) => {
    const example = copyExample();
    dirs.push(example.dir);
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Raw;
    c.config?.(raw);
    writeJson(example.config, raw);
    c.artifacts?.(example.dir);
    const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'taegis-bad-')), 'cdk.out');
    dirs.push(path.dirname(outdir));

    const err = await (async () =>
      buildApp(loadConfig(example.config, { templateProblems: true }), {
        appProps: { outdir },
        ...(c.regions ? { regions: c.regions } : {}),
        ...(c.requireCredentials ? { requireCredentials: true } : {}),
      }))().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(TaegisError);
    const e = err as TaegisError;
    expect(e.code).toBe(c.code);
    expect(e.exitCode).toBe(2);
    expect(e.format().split(example.dir).join('<dir>')).toBe(c.error);
    expect(existsSync(outdir)).toBe(false);
  });
});

describe('bad input at the edges', () => {
  it('GIVEN a missing credentials.txt WHEN the deploy reads it THEN CREDENTIALS_MISSING names the file and the fix, without content', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'taegis-cred-'));
    try {
      const file = path.join(dir, 'credentials.txt');
      const err = (() => {
        try {
          readCredentials(file);
        } catch (e) {
          return e as TaegisError;
        }
        return undefined;
      })();
      expect(err?.code).toBe('CREDENTIALS_MISSING');
      expect(err?.format()).toBe(
        `error CREDENTIALS_MISSING: ${file} does not exist (the shared stack needs it as SecretValue)\nfix: download credentials.txt from the Taegis console into ${dir} (it is ignored by git)`,
      );
      writeFileSync(file, 'client_id=a\nclient_secret=b\n');
      expect(readCredentials(file)).toBe('client_id=a\nclient_secret=b');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN a bad config WHEN the CDK entry point runs (as cdk synth runs it) THEN it exits 2 with the error and writes no template', async () => {
    const example = copyExample();
    const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-bad-bin-'));
    try {
      const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Raw;
      stack0(raw).integrationType = 'awsguardduty';
      writeJson(example.config, raw);
      const res = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin', 'cdk-app.ts')], {
        cwd: ROOT,
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ config: example.config }) },
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('error CONFIG_INVALID:');
      expect(res.stderr).toContain(
        'regions[0].lambdaStacks[0].integrationType: "awsguardduty" is not allowed by taegis-cloudformation-lambda-template.yaml',
      );
      expect(listFiles(outdir)).toEqual([]);
    } finally {
      rmSync(example.dir, { recursive: true, force: true });
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
