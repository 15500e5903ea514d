import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { utcDay } from '../../lib/facts/lambda-runtimes.js';
import {
  ACTION_FACTS,
  actionRef,
  CI_NODE_MAJOR,
  CODEBUILD_IMAGE,
  codeBuildRuntimeVersions,
  ENGINES_NODE,
  nodeLts,
  SUPPORTED_ACTION_RUNTIMES,
  type ActionKey,
} from '../../lib/facts/ci-runtimes.js';

const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  engines: { node: string };
};

describe('the CI runtimes table (lib/facts/ci-runtimes.ts)', () => {
  it.each(Object.keys(ACTION_FACTS) as ActionKey[])(
    'GIVEN %s THEN its pinned major is one whose action.yml was read and declares a supported runtime',
    (key) => {
      const f = ACTION_FACTS[key];
      const runtime = (f.runsUsing as Readonly<Record<number, string>>)[f.pinned];
      expect(runtime, `${actionRef(key)} was not read`).toBeDefined();
      expect(SUPPORTED_ACTION_RUNTIMES, `${actionRef(key)} declares ${runtime}`).toContain(runtime);
      expect(actionRef(key)).toBe(`${f.repository}@v${f.pinned}`);
    },
  );

  it('GIVEN the CI Node.js THEN it is an LTS line not past its end of life today, and CodeBuild installs it', () => {
    const lts = nodeLts(CI_NODE_MAJOR);
    expect(lts).toBeDefined();
    expect(utcDay(new Date()) <= lts!.endOfLife, `Node ${CI_NODE_MAJOR} ended ${lts!.endOfLife}`).toBe(true);
    expect(CODEBUILD_IMAGE.nodejs).toContain(CI_NODE_MAJOR);
    expect(codeBuildRuntimeVersions()).toEqual({ nodejs: CI_NODE_MAJOR });
  });

  it("GIVEN package.json THEN engines is the table's range, which takes both this machine's Node.js and the CI's", () => {
    expect(pkg.engines.node).toBe(ENGINES_NODE);
    const lines = ENGINES_NODE.split(' || ').map((l) => /^\^(\d+)\.(\d+)\.0$/.exec(l)!.slice(1).map(Number));
    const takes = (major: number, minor: number): boolean => lines.some(([m, n]) => m === major && minor >= (n ?? 0));
    const [curMajor, curMinor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(takes(curMajor, curMinor), process.versions.node).toBe(true);
    expect(takes(CI_NODE_MAJOR, 0)).toBe(true);
    // Every line it takes is an LTS line the table knows.
    for (const [m] of lines) expect(nodeLts(m!)).toBeDefined();
  });
});
