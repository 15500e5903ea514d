import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyExampleWith, ROOT } from '../support/example.js';
import { listFiles } from '../support/files.js';
import { PIPELINE_DOC, docsPipelineExample, heldOutPipelineRaw } from '../support/pipeline.js';
import { run } from '../support/run.js';

const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' };
const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const configWith = (mutate: (raw: Record<string, unknown>) => void): string => copyExampleWith(mutate, dirs);

/**
 * Every template of an assembly (nested stage assemblies too) by its path in the assembly, without what only says
 * who synthesized it: resource Metadata and the CLI's version reporting (AWS::CDK::Metadata and its condition).
 */
function templates(outdir: string): Map<string, unknown> {
  const result = new Map<string, unknown>();
  for (const file of listFiles(outdir).filter((f) => f.endsWith('.template.json'))) {
    const t = JSON.parse(readFileSync(file, 'utf8')) as {
      Resources?: Record<string, { Type: string; Metadata?: unknown }>;
      Conditions?: Record<string, unknown>;
    };
    for (const [id, r] of Object.entries(t.Resources ?? {})) {
      if (r.Type === 'AWS::CDK::Metadata') delete t.Resources![id];
      else delete r.Metadata;
    }
    delete t.Conditions?.CDKMetadataAvailable;
    if (t.Conditions !== undefined && Object.keys(t.Conditions).length === 0) delete t.Conditions;
    result.set(path.relative(outdir, file), t);
  }
  return result;
}

const CASES = {
  'the pipeline example of docs/pipelines.md': () =>
    configWith((raw) => docsPipelineExample(raw, readFileSync(path.join(ROOT, PIPELINE_DOC), 'utf8'))),
  'a held-out pipeline config (8 targets, 4 accounts, 6 regions, 4 waves)': () => configWith(heldOutPipelineRaw),
};

describe('the pipeline synthesizes through both synth routes users run', () => {
  for (const [name, make] of Object.entries(CASES)) {
    it(`GIVEN ${name} WHEN "npx cdk synth -c config=..." and "taegis-migrate synth" run THEN both exit 0, cdk-nag clean, and write the same templates`, async () => {
      const config = make();
      const out = mkdtempSync(path.join(tmpdir(), 'taegis-pipeline-synth-'));
      dirs.push(out);
      const cdk = await run(
        'npx',
        ['cdk', 'synth', '-q', '-c', `config=${config}`, '--output', path.join(out, 'cdk')],
        {
          cwd: ROOT,
          env,
        },
      );
      expect(cdk.code, cdk.stderr).toBe(0);
      expect(cdk.stderr).not.toMatch(/ERROR|cdk-nag AwsSolutions-/);
      const ours = await run('node', [BIN, 'synth', '--config', config, '--output', path.join(out, 'ours')], {
        cwd: ROOT,
        env,
      });
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toMatch(/\(0 errors, /);
      const fromCdk = templates(path.join(out, 'cdk'));
      const fromOurs = templates(path.join(out, 'ours'));
      expect([...fromCdk.keys()]).toContain('TaegisPipeline.template.json');
      expect([...fromOurs.keys()].sort()).toEqual([...fromCdk.keys()].sort());
      for (const [file, t] of fromCdk) expect(fromOurs.get(file), file).toEqual(t);
    });
  }
});
