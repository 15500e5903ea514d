import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TaegisApp } from '../../lib/app/app.js';
import { cdkJsonContext } from '../../lib/config/cdk-json.js';
import { VERIFY_CHECK_ACTIONS } from '../../lib/pipeline/drift-policy.js';
import { DRIFT_REPORT_GROUP, DRIFT_STACK_ID } from '../../lib/pipeline/drift-stack.js';
import { CI_NODE_MAJOR, CODEBUILD_IMAGE } from '../../lib/facts/ci-runtimes.js';
import { exampleConfig } from '../support/example.js';
import { pipelineRaw } from '../support/pipeline.js';

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

describe("TaegisDrift: the CodePipeline route's scheduled verify --check (with cdk.json's context)", () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const build = async (mutate: (raw: Record<string, unknown>) => void = () => {}): Promise<TaegisApp> => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-drift-test-'));
    outdirs.push(outdir);
    // The app as `cdk synth` builds it: every feature flag and the qualifier of cdk.json in effect.
    return buildApp(
      exampleConfig((raw) => {
        pipelineRaw(raw);
        mutate(raw);
      }),
      {
        appProps: { outdir, context: cdkJsonContext(), builtinCloudFormationValidation: false },
        pipelineConfigFile: 'deploy/taegis.config.json',
      },
    );
  };
  let built: TaegisApp;
  let template: Template;
  let buildSpec: string;
  let statements: Statement[];

  beforeAll(async () => {
    built = await build();
    template = Template.fromStack(built.drift!);
    const project = Object.values(template.findResources('AWS::CodeBuild::Project'))[0]!.Properties as {
      Source: { BuildSpec: { 'Fn::Join': [string, unknown[]] } };
    };
    // The buildspec is JSON joined around the report group's ARN (a token).
    buildSpec = project.Source.BuildSpec['Fn::Join'][1]
      .map((p) => (typeof p === 'string' ? p : 'REPORT_GROUP_ARN'))
      .join('');
    statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
  }, 120_000);

  it('GIVEN the pipeline config THEN the stack is in the pipeline account and region, and cdk-nag finds nothing in it', () => {
    expect(built.drift!.stackName).toBe(DRIFT_STACK_ID);
    expect(built.drift!.account).toBe('111111111111');
    expect(built.drift!.region).toBe('us-east-1');
    expect(built.nag!.own.filter((f) => f.constructPath.startsWith(`${DRIFT_STACK_ID}/`))).toEqual([]);
    // cdk-nag did run over the app (the pipeline stack is judged too).
    expect(built.nag).toBeDefined();
  });

  it('GIVEN no schedule THEN EventBridge Scheduler starts the project daily at 06:00 UTC', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      State: 'ENABLED',
    });
    const [projectId] = Object.keys(template.findResources('AWS::CodeBuild::Project'));
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { Arn: { 'Fn::GetAtt': [projectId, 'Arn'] } },
    });
    // Its role may start that project's builds and nothing else.
    const startBuild = statements.filter((s) => s.Action === 'codebuild:StartBuild');
    expect(startBuild.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [projectId, 'Arn'] }]);
  });

  it("GIVEN a schedule on weekdays THEN it is the same in EventBridge's form (day of month left open)", async () => {
    const b = await build(
      (raw) => ((raw.pipeline as Record<string, unknown>).drift = { schedule: '30 5 * * MON-FRI' }),
    );
    Template.fromStack(b.drift!).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 5 ? * MON-FRI *)',
    });
  });

  it('GIVEN the project THEN its commands run verify --check per target account with the verify role, never deploy; JUnit goes to the report group', () => {
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: { Image: CODEBUILD_IMAGE.image },
      Source: { Type: 'GITHUB', Auth: { Type: 'CODECONNECTIONS' } },
    });
    const spec = JSON.parse(buildSpec) as {
      phases: { install: { 'runtime-versions': unknown; commands: string[] }; build: { commands: string[] } };
      reports: Record<string, { files: string[]; 'file-format': string }>;
    };
    expect(spec.phases.install).toEqual({ 'runtime-versions': { nodejs: CI_NODE_MAJOR }, commands: ['npm ci'] });
    const commands = spec.phases.build.commands.join('\n');
    expect(commands).toContain('for a in 123456789012 222222222222;');
    expect(commands).toContain('aws sts assume-role --role-arn "arn:aws:iam::$a:role/taegis-migrate-verify"');
    expect(commands).toContain(
      'npm run verify -- --config deploy/taegis.config.json --account "$a" --check --since 24h --junit reports/drift-"$a".xml',
    );
    // The session may only read, whatever the verify role allows.
    const policy = JSON.parse(/--policy '([^']+)'/.exec(commands)![1]!) as { Statement: { Action: string[] }[] };
    const allowed = policy.Statement.flatMap((st) => st.Action);
    expect(allowed).toEqual(VERIFY_CHECK_ACTIONS);
    expect(allowed.filter((a) => !/^[a-z0-9]+:(Describe|Get|Filter|List)[A-Za-z]+$/.test(a))).toEqual([]);
    expect(commands).not.toMatch(/deploy --|cdk |npm run deploy|restore|plan/);
    expect(spec.reports).toEqual({
      REPORT_GROUP_ARN: { files: ['drift-*.xml'], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
    });
    template.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: DRIFT_REPORT_GROUP, Type: 'TEST' });
  });

  it('GIVEN the roles THEN they are read-only: the build may only assume the verify roles and write its own logs and reports', () => {
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.length).toBeGreaterThan(0);
    // Nothing that changes a bucket, a function, a stack or a role; no wildcard service.
    expect(actions.filter((a) => /^(s3|lambda|cloudformation|iam|logs:Delete|ssm|secretsmanager):/.test(a))).toEqual(
      [],
    );
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
    const assume = statements.filter((s) => s.Action === 'sts:AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]!.Resource).toEqual([
      'arn:aws:iam::123456789012:role/taegis-migrate-verify',
      'arn:aws:iam::222222222222:role/taegis-migrate-verify',
    ]);
  });

  it('GIVEN a failed build THEN an EventBridge rule notifies the encrypted topic; with topicArn the given topic', async () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.codebuild'], detail: { 'build-status': ['FAILED'] } },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: {} });
    const topicArn = 'arn:aws:sns:us-east-1:111111111111:security-alerts';
    const b = await build((raw) => ((raw.pipeline as Record<string, unknown>).drift = { topicArn }));
    const t = Template.fromStack(b.drift!);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    expect(JSON.stringify(t.findResources('AWS::Events::Rule'))).toContain(topicArn);
  });
});
