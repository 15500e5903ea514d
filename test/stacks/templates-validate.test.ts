import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import type { MigrationConfig } from '../../lib/config/load.js';
import { bakedSubText } from '../../lib/stacks/plain-subs.js';
import { exampleConfig } from '../support/example.js';

interface Diagnostic {
  readonly ruleId: string;
  readonly severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
  readonly message: string;
  readonly entity?: { readonly logicalId?: string; readonly resourceType?: string };
}
interface Validator {
  CompositeEngine: new (config?: object) => {
    validateTemplate(t: unknown, c?: object): { diagnostics: Diagnostic[] };
    free(): void;
  };
  TemplateContent: new (content: string, name?: string) => unknown;
}

/** AWS's CloudFormation validator exactly as the pinned aws-cdk-lib resolves it (its own nested dependency). */
function loadValidator(): Validator {
  const here = createRequire(import.meta.url);
  return createRequire(here.resolve('aws-cdk-lib/package.json'))('@aws/cloudformation-validate') as Validator;
}

interface Finding extends Diagnostic {
  readonly file: string;
}

/**
 * Findings above INFO we accept, each with its reason. Kept short: every entry must match at least one finding
 * (a stale entry fails the test), and anything not matched here fails it.
 */
const ALLOWED: readonly { rule: string; matches: (f: Finding) => boolean; reason: string }[] = [
  {
    rule: 'W2531',
    matches: (f) => f.entity?.resourceType === 'AWS::Lambda::Function',
    reason:
      "the example keeps the vendor's documented provided.al2; the runtime rule (lib/facts/lambda-runtimes.ts) owns this finding and tells the user",
  },
  {
    rule: 'W8003',
    matches: (f) => /^TaegisLambda-/.test(f.file),
    reason:
      "the vendor template's Has* conditions over parameters the app bakes in: constant once baked, kept so the template stays the vendor's",
  },
  {
    rule: 'W9053',
    matches: (f) => /^TaegisLambda-/.test(f.file),
    reason: 'the same vendor conditions, equal to each other once the parameters are baked in',
  },
  ...(['W9002', 'W9013'] as const).map((rule) => ({
    rule,
    matches: (f: Finding) => /^ScwxTdrLambdaSns/.test(f.entity?.logicalId ?? ''),
    reason:
      "the config's snsNotificationArn baked in for the vendor's SNSNotificationarn parameter: the app bakes every parameter on purpose (nothing to pass at deploy time), so the topic's ARN is a literal",
  })),
  // A stack without snsNotificationArn: SNSNotificationarn is baked in as '', so the vendor's HasSnsTopic condition is
  // false and CloudFormation never creates the SNS resources; the validator does not evaluate a condition over a
  // constant and checks the empty ARN all the same. Only the empty-ARN findings of those resources are explained.
  ...(['F3031', 'F3033', 'W3663'] as const).map((rule) => ({
    rule,
    matches: (f: Finding) =>
      f.entity?.logicalId === 'ScwxTdrLambdaSnsInvokePermission' &&
      /'' does not match|length 0 is below|has no account id/.test(f.message),
    reason: "the SNS invoke permission of a stack with no topic: its condition is false once '' is baked in",
  })),
  {
    rule: 'W3005',
    matches: (f) => f.entity?.logicalId?.startsWith('CustomCDKBucketDeployment') === true,
    reason: "aws-cdk-lib's own BucketDeployment custom resource (a DependsOn it generates), not ours",
  },
];

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Every template the app synthesizes for `config`, nested assemblies included. */
async function synthesizedTemplates(config: MigrationConfig): Promise<{ file: string; body: string }[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-validate-'));
  outdirs.push(outdir);
  // The app's own synth-time validation is off: this test runs the same validator itself, once per template.
  const built = await buildApp(config, { appProps: { outdir, builtinCloudFormationValidation: false }, nag: false });
  built.app.synth();
  return readdirSync(outdir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => ({ file: path.basename(f), body: readFileSync(path.join(outdir, f), 'utf8') }));
}

/** Every `Fn::Sub` whose string has no `${Variable}` left (only `${!Literal}` escapes or none). */
function subsWithoutVariable(node: unknown, at = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => subsWithoutVariable(n, `${at}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'Fn::Sub') {
      const text = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
      if (text !== undefined && !/\$\{[^!][^}]*\}/.test(text)) out.push(`${at}: ${text}`);
    }
    out.push(...subsWithoutVariable(v, `${at}.${k}`));
  }
  return out;
}

const CONFIGS: readonly [string, () => MigrationConfig][] = [
  ['the example', () => exampleConfig()],
  [
    'a multi-account config (two accounts, access role, monitoring)',
    () =>
      exampleConfig((raw) => {
        const regions = raw.regions as Record<string, unknown>[];
        regions.push({ ...regions[0]!, account: '222222222222' });
        raw.access = { roleName: 'TaegisMigrateVerify' };
        raw.monitoring = {};
      }),
  ],
];

describe("AWS's CloudFormation validator (shipped in aws-cdk-lib) over every synthesized template", () => {
  it('GIVEN the example and a multi-account config WHEN synthesized THEN no finding above INFO is left that the short allow-list does not explain, and no Fn::Sub lacks a variable', async () => {
    const validator = loadValidator();
    const engine = new validator.CompositeEngine({});
    const findings: Finding[] = [];
    const noVariable: string[] = [];
    let templates = 0;
    try {
      for (const [, config] of CONFIGS) {
        for (const { file, body } of await synthesizedTemplates(config())) {
          templates++;
          noVariable.push(...subsWithoutVariable(JSON.parse(body)).map((s) => `${file} ${s}`));
          const report = engine.validateTemplate(new validator.TemplateContent(body, file), {
            detailLevel: 'STANDARD',
            severityLevel: 'INFO',
          });
          findings.push(
            ...report.diagnostics
              .filter((d) => d.severity !== 'INFO' && d.severity !== 'DEBUG')
              .map((d) => ({ ...d, file })),
          );
        }
      }
    } finally {
      engine.free();
    }
    expect(templates).toBeGreaterThanOrEqual(15);
    expect(noVariable).toEqual([]);
    const unexplained = findings
      .filter((f) => !ALLOWED.some((a) => a.rule === f.ruleId && a.matches(f)))
      .map((f) => `${f.file} ${f.ruleId} ${f.severity} ${f.entity?.logicalId ?? ''}: ${f.message}`);
    expect(unexplained).toEqual([]);
    const unused = ALLOWED.filter((a) => !findings.some((f) => f.ruleId === a.rule && a.matches(f))).map((a) => a.rule);
    expect(unused, 'allow-list entries that match no finding any more: remove them').toEqual([]);
  });
});

describe('bakedSubText', () => {
  it.each([
    ['for ${IntegrationType} logs', 'for awsalb logs'],
    ['${!Literal} and ${IntegrationType}', '${Literal} and awsalb'],
    ['${AWS::StackName}-x-${IntegrationType}', undefined],
    ['${Fn.Arn}', undefined],
    ['plain', 'plain'],
  ])('GIVEN %s THEN %s', (text, expected) => {
    expect(bakedSubText(text, { IntegrationType: 'awsalb' })).toBe(expected);
  });
});
