import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { loadConfig } from '../../lib/config/load.js';
import { copyExample } from '../support/example.js';
import { listFiles } from '../support/files.js';

describe('the credentials never reach the cloud assembly', () => {
  const example = copyExample();
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-secret-test-'));
  afterAll(() => {
    rmSync(example.dir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  it('GIVEN credentials.txt with a unique marker WHEN every region is synthesized THEN no file under cdk.out (templates, staged assets) contains it', async () => {
    const marker = `TAEGIS-SECRET-MARKER-${randomUUID()}`;
    writeFileSync(path.join(example.dir, 'credentials.txt'), `client_id=x\nclient_secret=${marker}\n`);

    const built = await buildApp(loadConfig(example.config), {
      appProps: { outdir, builtinCloudFormationValidation: false },
      requireCredentials: true,
    });
    built.app.synth();

    const files = listFiles(outdir);
    // The scan is only meaningful if the assembly holds what it should: templates and the staged vendor files.
    expect(files.filter((f) => f.endsWith('.template.json'))).toHaveLength(7);
    expect(files.some((f) => f.endsWith(`${path.sep}taegis-lambda-amd64.zip`))).toBe(true);
    expect(files.some((f) => path.basename(f) === 'credentials.txt')).toBe(false);
    const leaking = files.filter((f) => readFileSync(f).includes(marker));
    expect(leaking).toEqual([]);
    // The marker is findable when present: the same scan sees it in the source folder.
    expect(listFiles(example.dir).filter((f) => readFileSync(f).includes(marker))).toEqual([
      path.join(example.dir, 'credentials.txt'),
    ]);
  });
});
