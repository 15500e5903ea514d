import { z } from 'zod';
import { FAILURE_TOLERANCE_FORM, parseFailureTolerance } from '../util/tolerance.js';
import { DriftConfigSchema } from './drift.js';

/**
 * The config's `pipeline` and `credentialsSecret` sections. Kept here, next to the code that reads them;
 * lib/config/schema.ts only plugs them in. Messages carry their fix after `\u0000` (schema.ts's FIX_SEPARATOR; not
 * imported, so this module and schema.ts do not import each other).
 */
const m = (what: string, fix: string): string => `${what}\u0000${fix}`;

const ACCOUNT = /^\d{12}$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-[a-z])?';
const CONNECTION_ARN = new RegExp(
  `^arn:${PARTITION}:(codeconnections|codestar-connections):[a-z0-9-]+:\\d{12}:connection/[A-Za-z0-9-]+$`,
);
const SECRET_ARN = new RegExp(`^arn:${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`);
// Secrets Manager names: 1-512 of letters, digits and /_+=.@- ; a name must not end in a hyphen and six characters,
// which Secrets Manager would read as the random suffix of an ARN.
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SHA256 = /^[a-f0-9]{64}$/;
const BUCKET_NAME = /^(?!xn--)(?!sthree-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const WAVE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** The GitHub Actions OIDC issuer, without its scheme, as IAM names the provider and the trust conditions. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/**
 * How long the GitHub deploy workflow's OIDC session lasts: a GitHub-hosted job's longest run (6 h). Every step of
 * `ci shard` assumes its target's role from it afresh, so a shard of many targets outlives the 1 h default; the role's
 * maximum session duration must allow it (the app's role in the pipeline account has exactly this).
 */
export const GITHUB_SESSION_SECONDS = 21_600;
const OIDC_PROVIDER_ARN = new RegExp(
  `^arn:${PARTITION}:iam::\\d{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$`,
);

/**
 * Where the shared stacks' `SecretValue` comes from: an AWS Secrets Manager secret holding the content of
 * credentials.txt. The template then carries `{{resolve:secretsmanager:...}}`, never the value.
 */
export const CredentialsSecretSchema = z
  .strictObject({
    /**
     * Name of the secret in each target's own account and region (`taegis-migrate secret put` creates one per target).
     * Must differ from the vendor's own `scwx-tdr-credentials`, which the shared stack creates.
     */
    name: z
      .string()
      .regex(SECRET_NAME, m('is not a Secrets Manager secret name', 'use 1-512 letters, digits and /_+=.@-'))
      .refine((n) => n !== 'scwx-tdr-credentials', {
        message: m(
          'is the name of the secret the vendor template itself creates',
          'pick another name, e.g. "taegis-migrate/credentials"',
        ),
      })
      .optional(),
    /**
     * Full ARN of one secret shared by several targets of the same region (other accounts read it through the
     * secret's resource policy and a customer managed KMS key; see docs/secrets.md).
     */
    arn: z
      .string()
      .regex(
        SECRET_ARN,
        m(
          'is not a Secrets Manager secret ARN',
          'use arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>',
        ),
      )
      .optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.name === undefined) === (s.arn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: m(
          s.name === undefined ? 'neither "name" nor "arn" is set' : 'both "name" and "arn" are set',
          'set exactly one of them',
        ),
      });
    }
  });
export type CredentialsSecretConfig = z.infer<typeof CredentialsSecretSchema>;

/** The default secret name suggested in errors and docs. */
export const DEFAULT_SECRET_NAME = 'taegis-migrate/credentials';

/** CodePipeline's 50 stages, less Source, Build and UpdatePipeline. */
export const MAX_WAVES = 47;
/** CodePipeline's 50 actions per stage, for a wave with approval: plan and apply per shard, the approval, the gate. */
export const MAX_SHARDS_PER_WAVE = 24;
export const DEFAULT_SHARDS_PER_WAVE = 8;
/** Targets of a wave in flight at once when the wave sets no `maxConcurrency`. */
export const DEFAULT_MAX_CONCURRENCY = 16;

export const WaveConfigSchema = z.strictObject({
  /** Shown as the pipeline's stage name and the GitHub job name. */
  name: z
    .string()
    .regex(WAVE_NAME, m('is not a wave name', 'use letters, digits and hyphens, starting with a letter (max 63)')),
  /**
   * Targets `"<account>/<region>"`, globs (`*` any characters, `?` one) such as `"222222222222/*"`; `"*"` alone takes
   * every target that no other wave names.
   */
  targets: z.array(z.string().min(1)).min(1, m('lists no target', 'add at least one "<account>/<region>" or "*"')),
  /**
   * Wait for a manual approval after the wave's plans and before it deploys.
   * @default false
   */
  approval: z.boolean().default(false),
  /**
   * How many of the wave's targets may fail (a count, or a percentage of them rounded down) before the wave fails and
   * the next wave does not start. Every target of the wave is attempted either way.
   * @default 0
   */
  failureTolerance: z
    .union([z.number(), z.string()])
    .refine(
      (v) => parseFailureTolerance(v) !== undefined,
      m('is not a failure tolerance', `use ${FAILURE_TOLERANCE_FORM}`),
    )
    .default(0),
  /**
   * At most this many of the wave's targets are worked on at once (CI jobs or shards in flight, targets in flight in
   * a run by hand).
   * @default - the route's own default (see docs)
   */
  maxConcurrency: z
    .number()
    .int(m('is not a whole number', 'use a whole number from 1 to 256'))
    .min(1, m('is below 1', 'use a whole number from 1 to 256'))
    .max(256, m('is above 256', 'use a whole number from 1 to 256'))
    .optional(),
});
export type WaveConfig = z.infer<typeof WaveConfigSchema>;

export const PipelineConfigSchema = z.strictObject({
  /** Account the pipeline (CodePipeline, its CodeBuild projects, artifact bucket) lives in. */
  account: z.string().regex(ACCOUNT, m('is not a 12-digit AWS account id', 'quote it as a string of 12 digits')),
  /** Region the pipeline lives in. */
  region: z.string().regex(AWS_REGION, m('is not an AWS region name', 'use a region code such as "us-east-1"')),
  /** The repository the pipeline builds from, through an AWS CodeConnections (CodeStar) connection. */
  source: z.strictObject({
    connectionArn: z
      .string()
      .regex(
        CONNECTION_ARN,
        m(
          'is not a CodeConnections connection ARN',
          'create the connection in the console (Developer Tools > Settings > Connections) and paste its ARN',
        ),
      ),
    /** `owner/name`. */
    repository: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, m('is not "owner/name"', 'write e.g. "acme/taegis-migration"')),
    branch: z.string().min(1),
  }),
  /**
   * Ordered waves; every configured target in exactly one. At most MAX_WAVES: each wave is one stage of the
   * CodePipeline, which holds at most 50 stages (Source, Build and UpdatePipeline take three).
   */
  waves: z
    .array(WaveConfigSchema)
    .min(1, m('lists no wave', 'add e.g. { "name": "all", "targets": ["*"] }'))
    .max(
      MAX_WAVES,
      m(`lists more than ${MAX_WAVES} waves`, 'merge waves: a wave takes globs and any number of targets'),
    ),
  /**
   * How many shards (CodeBuild builds, GitHub jobs) work through one wave at most; each takes whole accounts, so a
   * wave of fewer accounts has fewer shards. At most MAX_SHARDS_PER_WAVE: a CodePipeline stage holds 50 actions, and an
   * approval wave has a plan and an apply action per shard, an approval and a gate.
   * @default 8
   */
  shardsPerWave: z
    .number()
    .int(m('is not a whole number', `use a whole number from 1 to ${MAX_SHARDS_PER_WAVE}`))
    .min(1, m('is below 1', `use a whole number from 1 to ${MAX_SHARDS_PER_WAVE}`))
    .max(
      MAX_SHARDS_PER_WAVE,
      m(`is above ${MAX_SHARDS_PER_WAVE}`, `use a whole number from 1 to ${MAX_SHARDS_PER_WAVE}`),
    )
    .default(DEFAULT_SHARDS_PER_WAVE),
  /**
   * Where the synth step gets the vendor zip and templates (credentials.txt is never needed there). Each file is
   * downloaded from `s3://bucket/prefix<file>` in the pipeline account and checked against its SHA-256 before synth.
   * @default - the files are committed to the repository in `artifactsDir` (never credentials.txt)
   */
  artifactsSource: z
    .strictObject({
      bucket: z
        .string()
        .regex(BUCKET_NAME, m('is not a valid S3 bucket name', 'use the bucket name only, not an ARN or URL')),
      /** @default "" */
      prefix: z.string().default(''),
      /** SHA-256 (lowercase hex) per vendor file name: the zip and both templates. */
      sha256: z.record(
        z.string().min(1),
        z.string().regex(SHA256, m('is not a SHA-256', 'use the output of "sha256sum FILE" (64 lowercase hex)')),
      ),
    })
    .optional(),
  /**
   * Role the verify post step assumes in each target account (least privilege for verify).
   * @default - `accessRole.roleName` (the `TaegisAccess-<account>` stacks' role) when set, else "taegis-migrate-verify"
   */
  verifyRoleName: z
    .string()
    .regex(ROLE_NAME, m('is not an IAM role name', 'use the role name only, not its ARN'))
    .optional(),
  /**
   * Config file path in the repository, as the synth step passes it (`-c config=PATH`).
   * @default - the path the config was loaded from, relative to the working directory
   */
  configFile: z.string().min(1).optional(),
  /** The GitHub Actions workflow `taegis-migrate ci github` writes from this section. */
  github: z
    .strictObject({
      /**
       * Role the workflows assume through GitHub's OIDC provider: the deploy workflow's in the pipeline account (its
       * shard jobs assume each target's CDK bootstrap roles and verify role from there), the drift workflow's in each
       * target account. Its trust policy names the repository and, for approval waves, the environment.
       * @default "taegis-migrate-github"
       */
      roleName: z
        .string()
        .regex(ROLE_NAME, m('is not an IAM role name', 'use the role name only, not its ARN'))
        .optional(),
      /** @default "ubuntu-latest" */
      runsOn: z.string().min(1).optional(),
      /**
       * Let the app deploy the GitHub OIDC provider and the `roleName` role, one `TaegisGitHubOidc-<account>` stack
       * per target account (in its first configured region; IAM is global) and one in the pipeline account. A target
       * account's role may only assume that account's CDK bootstrap roles and verify role; the pipeline account's may
       * assume those of any account (the bootstrap roles by their tag), in sessions of up to 6 h.
       * @default false
       */
      deployOidcRole: z.boolean().default(false),
      /**
       * ARN of the account's existing GitHub OIDC provider (`token.actions.githubusercontent.com`) to trust instead
       * of creating one: an account holds one provider per URL. Its account part is replaced by each target
       * account's, so one value serves every account.
       * @default - the stack creates the provider
       */
      oidcProviderArn: z
        .string()
        .regex(
          OIDC_PROVIDER_ARN,
          m(
            'is not the ARN of a GitHub OIDC provider',
            'use arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com (IAM > Identity providers)',
          ),
        )
        .optional(),
    })
    .optional(),
  /**
   * CloudFormation name of the pipeline stack.
   * @default "TaegisPipeline"
   */
  stackName: z.string().optional(),
  /**
   * The scheduled drift watch (`verify --check`) both routes generate (lib/config/drift.ts).
   * @default - daily at 06:00 UTC, a 24 h log window, no issues, a topic of its own
   */
  drift: DriftConfigSchema.optional(),
});
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

export const DEFAULT_VERIFY_ROLE_NAME = 'taegis-migrate-verify';
export const DEFAULT_GITHUB_ROLE_NAME = 'taegis-migrate-github';

/**
 * The role the verify gate assumes in each target account: `pipeline.verifyRoleName`, else the app's own
 * least-privilege verify role (`accessRole.roleName`) when the config deploys one, else "taegis-migrate-verify".
 */
export function verifyRoleNameOf(config: {
  readonly pipeline?: Pick<PipelineConfig, 'verifyRoleName'>;
  readonly accessRole?: { readonly roleName: string };
}): string {
  return config.pipeline?.verifyRoleName ?? config.accessRole?.roleName ?? DEFAULT_VERIFY_ROLE_NAME;
}

/** One (account, region) pair the app deploys to. */
export interface Target {
  readonly account: string;
  readonly region: string;
}

/** `"<account>/<region>"`, the name a wave lists. */
export const targetName = (t: Target): string => `${t.account}/${t.region}`;

/** A configured wave with its targets resolved, in config order. */
export interface ResolvedWave {
  readonly name: string;
  readonly approval: boolean;
  readonly targets: readonly Target[];
}

/** A problem in the `pipeline.waves` section, with its JSON path (relative to the config root) and the fix. */
export interface WaveProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

const GLOB = /[*?]/;
function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * Assigns every configured target to exactly one wave. Exact names win over globs, globs over the catch-all `"*"`;
 * a target named (or matched by globs) in two waves, a name that is not configured, a glob that matches nothing,
 * a wave left empty and a target in no wave are each a problem naming it.
 */
export function resolveWaves(
  targets: readonly Target[],
  waves: readonly Pick<WaveConfig, 'name' | 'targets' | 'approval'>[],
): { waves: ResolvedWave[]; problems: WaveProblem[] } {
  const problems: WaveProblem[] = [];
  const byName = new Map(targets.map((t) => [targetName(t), t]));
  const known = [...byName.keys()];
  const owner = new Map<string, { wave: number; entry: number }>();
  const claim = (name: string, wave: number, entry: number, how: string): void => {
    const first = owner.get(name);
    if (first === undefined) owner.set(name, { wave, entry });
    else if (first.wave !== wave || first.entry !== entry) {
      problems.push({
        path: ['pipeline', 'waves', wave, 'targets', entry],
        message: m(
          `target "${name}" is in two waves: "${waves[first.wave]?.name}" (waves[${first.wave}].targets[${first.entry}]) and "${waves[wave]?.name}"${how}`,
          'name every target in exactly one wave',
        ),
      });
    }
  };
  const seenWaveNames = new Map<string, number>();
  waves.forEach((w, i) => {
    const prev = seenWaveNames.get(w.name.toLowerCase());
    if (prev !== undefined)
      problems.push({
        path: ['pipeline', 'waves', i, 'name'],
        message: m(`wave name "${w.name}" is also waves[${prev}]`, 'give every wave its own name'),
      });
    else seenWaveNames.set(w.name.toLowerCase(), i);
  });
  // Pass 1: exact names.
  waves.forEach((w, i) =>
    w.targets.forEach((t, j) => {
      if (GLOB.test(t)) return;
      if (!byName.has(t)) {
        problems.push({
          path: ['pipeline', 'waves', i, 'targets', j],
          message: m(
            `"${t}" is not a configured target`,
            `use "<account>/<region>" of a "regions" entry: ${known.join(', ')}`,
          ),
        });
        return;
      }
      claim(t, i, j, '');
    }),
  );
  const exact = new Set(owner.keys());
  // Pass 2: globs other than the catch-all, over what no exact name took.
  let catchAll: { wave: number; entry: number } | undefined;
  waves.forEach((w, i) =>
    w.targets.forEach((t, j) => {
      if (!GLOB.test(t)) return;
      if (t === '*') {
        if (catchAll !== undefined)
          problems.push({
            path: ['pipeline', 'waves', i, 'targets', j],
            message: m(`"*" is also in waves[${catchAll.wave}]`, 'use "*" (all remaining targets) in one wave only'),
          });
        else catchAll = { wave: i, entry: j };
        return;
      }
      const re = globToRegExp(t);
      const matched = known.filter((n) => re.test(n));
      if (matched.length === 0) {
        problems.push({
          path: ['pipeline', 'waves', i, 'targets', j],
          message: m(`"${t}" matches no configured target`, `targets are: ${known.join(', ')}`),
        });
      }
      for (const n of matched) if (!exact.has(n)) claim(n, i, j, ` (by "${t}")`);
    }),
  );
  // Pass 3: the catch-all takes the rest.
  if (catchAll !== undefined) for (const n of known) if (!owner.has(n)) owner.set(n, catchAll);
  for (const n of known) {
    if (!owner.has(n))
      problems.push({
        path: ['pipeline', 'waves'],
        message: m(`target "${n}" is in no wave`, `add "${n}" (or "*" for all remaining) to a wave's "targets"`),
      });
  }
  const resolved = waves.map((w, i) => ({
    name: w.name,
    approval: w.approval,
    targets: known.filter((n) => owner.get(n)?.wave === i).map((n) => byName.get(n)!),
  }));
  resolved.forEach((w, i) => {
    if (w.targets.length === 0 && waves[i]!.targets.length > 0 && !problems.some((p) => p.path[2] === i))
      problems.push({
        path: ['pipeline', 'waves', i, 'targets'],
        message: m(`wave "${w.name}" gets no target (earlier waves took them all)`, 'remove the wave'),
      });
  });
  return { waves: resolved, problems };
}

/**
 * The GitHub Environment an approval wave's deploy shards are bound to (its reviewers approve the deploy). The OIDC
 * role's trust policy (lib/stacks/github-oidc-stack.ts) admits exactly these names.
 */
export const githubEnvironmentName = (wave: Pick<ResolvedWave, 'name'>): string => `taegis-${wave.name.toLowerCase()}`;
