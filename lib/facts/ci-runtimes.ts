/**
 * The runtimes the generated CI runs on: the one table lib/ci (GitHub workflows) and lib/pipeline (CodeBuild) read,
 * like the Lambda runtime table beside it (runtimes.ts).
 *
 * Checked 2026-12-04. Each action's row was read from the action's own `action.yml` (`runs.using`) at every major
 * tag, in a snapshot of its GitHub repository (the newest commit of each snapshot is named in `source`); release
 * notes were not used, as several majors announced Node 24 while their action.yml still declared node20. The
 * snapshots are from 2026-02 to 2026-08: a major tagged after a snapshot is not known here. CodeBuild's row was read
 * from aws/aws-codebuild-docker-images (`ubuntu/standard/<v>/runtimes.yml`, snapshot of 2026-04-09) and the image
 * constants of the pinned aws-cdk-lib (2.276.0). Node.js dates are the Node.js release schedule
 * (github.com/nodejs/Release): not read from a source here, taken from the schedule's published dates.
 *
 * test/facts/ci-runtimes.test.ts fails when a pin names a major this table records as declaring node20 (or older), or a
 * CI Node.js version past its end of life.
 */

/** The `runs.using` values GitHub accepts for JavaScript actions, oldest first. */
export type ActionRuntime = 'node12' | 'node16' | 'node20' | 'node24';

/** GitHub forces node20 actions onto node24 (June 2026) and logs a deprecation for each; earlier ones are gone. */
export const SUPPORTED_ACTION_RUNTIMES: readonly ActionRuntime[] = ['node24'];

export interface ActionFacts {
  /** `owner/name` */
  readonly repository: string;
  /** The major the generated workflows pin (`owner/name@vN`). */
  readonly pinned: number;
  /** `runs.using` of action.yml at each major tag `vN` that was read. */
  readonly runsUsing: Readonly<Record<number, ActionRuntime>>;
  /** Where it was read: the snapshot's newest commit and its date. */
  readonly source: string;
}

/** Every action a generated workflow uses, by the key the workflows name it with. */
export const ACTION_FACTS = {
  checkout: {
    repository: 'actions/checkout',
    pinned: 7,
    runsUsing: { 2: 'node12', 3: 'node16', 4: 'node20', 5: 'node24', 6: 'node24', 7: 'node24' },
    source: 'action.yml at tags v2..v7, snapshot f548e57e (2026-07-20)',
  },
  setupNode: {
    repository: 'actions/setup-node',
    pinned: 7,
    runsUsing: { 1: 'node12', 2: 'node12', 3: 'node16', 4: 'node20', 5: 'node24', 6: 'node24', 7: 'node24' },
    source: 'action.yml at tags v1..v7, snapshot ae0d4ed0 (2026-08-18)',
  },
  awsCredentials: {
    repository: 'aws-actions/configure-aws-credentials',
    pinned: 6,
    // v5 announced Node 24 support but still declares node20.
    runsUsing: { 1: 'node12', 2: 'node16', 3: 'node16', 4: 'node20', 5: 'node20', 6: 'node24' },
    source: 'action.yml at tags v1..v6, snapshot bcd40890 (2026-08-18)',
  },
  junit: {
    repository: 'mikepenz/action-junit-report',
    pinned: 6,
    runsUsing: { 1: 'node12', 2: 'node12', 3: 'node16', 4: 'node20', 5: 'node20', 6: 'node24' },
    source: 'action.yml at tags v1..v6, snapshot 305cd1f4 (2026-06-29)',
  },
  upload: {
    repository: 'actions/upload-artifact',
    pinned: 7,
    runsUsing: { 2: 'node12', 3: 'node16', 4: 'node20', 5: 'node20', 6: 'node24', 7: 'node24' },
    source: 'action.yml at tags v2..v7, snapshot bbbca2dd (2026-02-25)',
  },
  download: {
    repository: 'actions/download-artifact',
    pinned: 8,
    // v1 ran as a runner plugin (no runs.using); v5 and v6 still declare node20.
    runsUsing: { 2: 'node12', 3: 'node16', 4: 'node20', 5: 'node20', 6: 'node20', 7: 'node24', 8: 'node24' },
    source: 'action.yml at tags v1..v8, snapshot 484a0b5 (2026-03-12)',
  },
  githubScript: {
    repository: 'actions/github-script',
    pinned: 8,
    runsUsing: {
      1: 'node12',
      2: 'node12',
      3: 'node12',
      4: 'node12',
      5: 'node12',
      6: 'node16',
      7: 'node20',
      8: 'node24',
    },
    source: 'action.yml at tags v1..v8, snapshot ed597411 (2025-09-04)',
  },
} as const satisfies Record<string, ActionFacts>;

export type ActionKey = keyof typeof ACTION_FACTS;

/** `owner/name@vN` as a workflow's `uses:` names the action. */
export const actionRef = (key: ActionKey): string => `${ACTION_FACTS[key].repository}@v${ACTION_FACTS[key].pinned}`;

export interface NodeLts {
  readonly major: number;
  /** End of life (last day of security fixes), YYYY-MM-DD. */
  readonly endOfLife: string;
}

/** Node.js LTS lines this project meets, with their end of life (Node.js release schedule). */
export const NODE_LTS: readonly NodeLts[] = [
  { major: 20, endOfLife: '2026-04-30' },
  { major: 22, endOfLife: '2027-04-30' },
  { major: 24, endOfLife: '2028-04-30' },
];

/** The Node.js major the generated CI runs the tool on (GitHub `node-version`, CodeBuild `runtime-versions`). */
export const CI_NODE_MAJOR = 24;

/**
 * The Node.js lines the tool itself runs on (package.json `engines`): the LTS lines from 20.19 (the first 20 with
 * `require(esm)` unflagged). This project's own machines have Node 20, past its end of life but kept working until
 * they move; the generated CI runs CI_NODE_MAJOR.
 */
export const ENGINES_NODE = '^20.19.0 || ^22.12.0 || ^24.0.0';

/** The CodeBuild image the pipeline's and the drift watch's projects run on, and the Node.js versions it installs. */
export const CODEBUILD_IMAGE = {
  /** aws-cdk-lib `LinuxBuildImage.STANDARD_8_0`. */
  image: 'aws/codebuild/standard:8.0',
  /** `runtime-versions: nodejs:` choices of ubuntu/standard/8.0/runtimes.yml (7.0 still offers 18 and 20). */
  nodejs: [22, 24],
  source: 'aws/aws-codebuild-docker-images ubuntu/standard/8.0/runtimes.yml, snapshot 1590e487 (2026-04-09)',
} as const;

/** The `runtime-versions` phase CodeBuild projects get (a partial buildspec). */
export const codeBuildRuntimeVersions = (): { readonly nodejs: number } => ({ nodejs: CI_NODE_MAJOR });

/** The LTS line of a major, or undefined when it is none this table knows. */
export const nodeLts = (major: number): NodeLts | undefined => NODE_LTS.find((l) => l.major === major);
