import * as path from 'node:path';
import { App, CfnResource, Stack, type AppProps } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { withParsedTemplates } from '../artifacts/cfn-yaml.js';
import { cdkJsonContext } from '../config/cdk-json.js';
import { inspectVendorArtifacts, type VendorArtifacts } from '../artifacts/vendor.js';
import { selectAccounts, selectRegions, type MigrationConfig } from '../config/load.js';
import { checkConfigAgainstTemplates } from '../config/template-checks.js';
import { invalidInput } from '../util/errors.js';
import { runAwsSolutionsChecks, type NagResult } from './nag.js';
import { AccessStack } from '../stacks/access-stack.js';
import { GitHubOidcStack } from '../stacks/github-oidc-stack.js';
import { accessStackId, githubOidcStackId, idScope } from '../stacks/names.js';
import { partitionOf } from '../pipeline/commands.js';
import { DEFAULT_GITHUB_ROLE_NAME, githubEnvironmentName, resolveWaves, verifyRoleNameOf } from '../config/pipeline.js';
import { runtimeDeprecationMessage } from '../facts/lambda-runtimes.js';
import { addPipelineStack, type PipelineStack } from '../pipeline/pipeline-stack.js';
import { addDriftStack, type DriftStack } from '../pipeline/drift-stack.js';
import { addTargetStacks, type RegionStacks, type TargetWiring } from '../stacks/targets.js';

export { addTargetStacks, type RegionStacks, type TargetWiring } from '../stacks/targets.js';

export interface BuildAppOptions {
  /**
   * The App to build into (the CDK entry point passes the one that read the CLI's context).
   * @default - a new App with `appProps`
   */
  readonly app?: App;
  /**
   * Props for the new App (tests set `outdir`); its `context` goes over cdk.json's.
   * @default - CDK defaults
   */
  readonly appProps?: AppProps;
  /**
   * Start the new App from cdk.json's context (feature flags, bootstrap qualifier), as `npx cdk synth` does.
   * Only a test that compares against the flags' absence turns it off.
   * @default true
   */
  readonly cdkJsonContext?: boolean;
  /**
   * Limit the app to these regions (`-c region=a,b`); each must be configured.
   * @default - every configured region
   */
  readonly regions?: readonly string[];
  /**
   * Limit the app to these accounts (`-c account=a,b`); each must be configured.
   * @default - every configured account
   */
  readonly accounts?: readonly string[];
  /**
   * Run cdk-nag AwsSolutions.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Also check that credentials.txt exists and is not empty (`taegis-migrate deploy` sets this unless --exclusively).
   * @default false
   */
  readonly requireCredentials?: boolean;
  /**
   * Where the notice the user must not miss goes (what AWS's runtime dates mean for this migration), once per build.
   * @default - nowhere
   */
  readonly warn?: (message: string) => void;
  /**
   * Today, for the runtime notice (the config's runtime was already resolved with the clock of its load).
   * @default - the current date
   */
  readonly now?: Date;
  /**
   * Add the `TaegisPipeline` stack when the config has a `pipeline` section (`taegis-migrate plan` and `deploy` leave it out).
   * @default true
   */
  readonly pipeline?: boolean;
  /**
   * The config file's path in the repository, as the pipeline's synth step passes it to `cdk synth -c config=`.
   * @default - config `pipeline.configFile`, else the config file's path relative to the working directory
   */
  readonly pipelineConfigFile?: string;
}

/**
 * The one way an App is made: with cdk.json's context (feature flags, bootstrap qualifier) under `props.context`, so
 * `taegis-migrate synth`, plan, deploy, bench and the tests build exactly what `npx cdk synth` builds. Under the CDK
 * CLI, the context it passes (cdk.json's and `-c`) goes over both.
 */
export function createApp(props: AppProps = {}, options: { readonly cdkJsonContext?: boolean } = {}): App {
  const base = options.cdkJsonContext === false ? {} : cdkJsonContext();
  return new App({ ...props, context: { ...base, ...props.context } });
}

export interface TaegisApp {
  readonly app: App;
  readonly config: MigrationConfig;
  readonly artifacts: VendorArtifacts;
  readonly regions: readonly RegionStacks[];
  /** The opt-in least-privilege verify role stacks (`accessRole` in config): one per selected account. */
  readonly access: readonly AccessStack[];
  /** The opt-in GitHub OIDC provider and role stacks (`pipeline.github.deployOidcRole`): one per selected account. */
  readonly githubOidc: readonly GitHubOidcStack[];
  /** The `TaegisPipeline` stack, when the config has a `pipeline` section. */
  readonly pipeline?: PipelineStack;
  /** The `TaegisDrift` stack (scheduled `verify --check`), beside the pipeline. */
  readonly drift?: DriftStack;
  /** cdk-nag results; undefined when `nag` is false. */
  readonly nag?: NagResult;
}

/**
 * Validates the vendor artifacts and the config against them, then builds every stack `cdk deploy --all` needs.
 * Any problem throws one TaegisError listing all of them, before a single construct exists: nothing is synthesized.
 */
export async function buildApp(config: MigrationConfig, options: BuildAppOptions = {}): Promise<TaegisApp> {
  const selected = selectRegions(selectAccounts(config, options.accounts ?? []), options.regions ?? []);
  const inspected = await inspectVendorArtifacts(selected, { requireCredentials: options.requireCredentials ?? false });
  const configProblems = checkConfigAgainstTemplates(selected, {
    shared: inspected.shared,
    lambda: inspected.lambdaTemplate,
  });
  // One error for everything: the files' problems and the config's, so one fix-and-retry round is enough.
  const problems = [...inspected.problems, ...configProblems];
  if (problems.length > 0 || !inspected.shared || !inspected.lambda) {
    const subject =
      inspected.problems.length === 0
        ? `config ${selected.configPath} does not fit the vendor templates`
        : configProblems.length === 0
          ? 'vendor artifacts'
          : `vendor artifacts and config ${selected.configPath}`;
    throw invalidInput(inspected.problems.length > 0 ? 'ARTIFACT_INVALID' : 'CONFIG_INVALID', subject, problems);
  }
  const artifacts: VendorArtifacts = { paths: inspected.paths, shared: inspected.shared, lambda: inspected.lambda };

  const app =
    options.app ?? createApp(options.appProps, options.cdkJsonContext === false ? { cdkJsonContext: false } : {});
  // Once per build, not per stack: the runtime is one setting for the whole config.
  const runtimeNotice = runtimeDeprecationMessage(
    selected.lambdaRuntime,
    options.now ?? new Date(),
    selected.lambdaRuntimeChosenBy,
  );
  if (runtimeNotice) options.warn?.(runtimeNotice);

  const templates = new Map<string, unknown>([
    [artifacts.shared.file, artifacts.shared.template],
    [artifacts.lambda.file, artifacts.lambda.template],
  ]);
  const wiring: TargetWiring = {
    config: selected,
    artifacts,
    // Decided on the whole config, so ids do not change with a -c account= / -c region= selection.
    idScopeOf: (account) => idScope(config.regions, account),
  };
  const regions = withParsedTemplates(templates, () => selected.regions.map((r) => addTargetStacks(app, r, wiring)));
  // The pipeline's stages are built by the same addTargetStacks, inside the same parse-once scope. It always spans
  // every target, so a synth limited to some regions or accounts leaves it out.
  const pipeline =
    selected.pipeline !== undefined && options.pipeline !== false && selected.regions.length === config.regions.length
      ? withParsedTemplates(templates, () =>
          addPipelineStack(app, selected.pipeline!, wiring, {
            // The pipeline's synth step runs `cdk synth -c config=<this path>` from the repository root.
            configFile:
              options.pipelineConfigFile ?? path.relative(process.cwd(), selected.configPath).split(path.sep).join('/'),
          }),
        )
      : undefined;

  // The drift watch goes with the pipeline: same account and region, every target.
  const drift = pipeline
    ? addDriftStack(app, selected.pipeline!, selected, {
        configFile: options.pipelineConfigFile ?? path.basename(selected.configPath),
      })
    : undefined;

  const access = accessStacks(app, config, selected);
  const githubOidc = githubOidcStacks(app, config, selected);
  // IAM refuses a trust policy naming a role that does not exist yet: the GitHub roles come first (ordering only, so
  // one in another account is fine).
  for (const a of access) {
    for (const r of a.trustedRoles) {
      const oidc = githubOidc.find((g) => g.account === r.account);
      if (oidc !== undefined) a.addDependency(oidc);
    }
  }
  const tooLarge = resourceLimitProblems(app);
  if (tooLarge.length > 0) {
    throw invalidInput(
      'CONFIG_INVALID',
      `config ${selected.configPath} makes a stack larger than CloudFormation allows`,
      tooLarge,
    );
  }
  const nag =
    options.nag === false
      ? undefined
      : runAwsSolutionsChecks([
          ...regions.flatMap((r) => [r.staging, r.shared, ...r.lambdas, ...(r.monitoring ? [r.monitoring] : [])]),
          ...access,
          ...githubOidc,
          ...(pipeline ? [pipeline] : []),
          ...(drift ? [drift] : []),
        ]);
  return {
    app,
    config: selected,
    artifacts,
    regions,
    access,
    githubOidc,
    ...(pipeline ? { pipeline } : {}),
    ...(drift ? { drift } : {}),
    ...(nag ? { nag } : {}),
  };
}

/** CloudFormation's limits per template (resources, and bytes of a template uploaded through S3). */
export const TEMPLATE_LIMITS = { resources: 500, bytes: 1_000_000 } as const;

/** What grew in a stack of this kind, and which setting shrinks it. */
function limitFix(stackId: string): string {
  if (stackId.startsWith('TaegisPipeline') || stackId.includes('Pipeline'))
    return 'lower "pipeline.shardsPerWave" or merge "pipeline.waves" (the pipeline grows with waves x shards)';
  if (stackId.startsWith('TaegisAccess') || stackId.startsWith('TaegisGitHubOidc'))
    return "the account's role lists every configured stack of the account: split the account's stacks over two configs";
  if (stackId.startsWith('TaegisMonitoring'))
    return 'the region has too many functions for one monitoring stack: split the region over two configs';
  return 'split the stacks of this target over two configs';
}

/**
 * Stacks that would hold more resources than CloudFormation allows, as bad input naming the stack, what grew and the
 * setting that shrinks it; checked before synth, where aws-cdk-lib would throw an error of its own.
 */
export function resourceLimitProblems(app: App): { path: string; message: string; fix: string }[] {
  return app.node
    .findAll()
    .filter((c): c is Stack => Stack.isStack(c))
    .flatMap((stack) => {
      const count = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
      return count > TEMPLATE_LIMITS.resources
        ? [
            {
              path: stack.stackName,
              message: `would hold ${count} resources; CloudFormation allows ${TEMPLATE_LIMITS.resources} per stack`,
              fix: limitFix(stack.node.id),
            },
          ]
        : [];
    });
}

/**
 * After synth: a template over CloudFormation's size limit (1,000,000 bytes through S3) is bad input naming the stack
 * and the setting that shrinks it, never an error of the deploy later.
 */
export function checkAssemblyLimits(assembly: CloudAssembly, configPath: string): void {
  const problems = assembly.stacksRecursively.flatMap((s) => {
    const bytes = Buffer.byteLength(JSON.stringify(s.template, undefined, 1));
    return bytes > TEMPLATE_LIMITS.bytes
      ? [
          {
            path: s.stackName,
            message: `template is ${bytes} bytes; CloudFormation accepts ${TEMPLATE_LIMITS.bytes} bytes per template`,
            fix: limitFix(s.id),
          },
        ]
      : [];
  });
  if (problems.length > 0) {
    throw invalidInput(
      'CONFIG_INVALID',
      `config ${configPath} makes a template larger than CloudFormation allows`,
      problems,
    );
  }
}

/**
 * One `TaegisAccess-<account>` stack per selected account when the config asks for it (IAM is global): in
 * `accessRole.region`, else the account's first configured region. Its role covers all of the account's configured
 * targets, selected or not, so a `-c region=` selection does not narrow a role other runs rely on.
 */
function accessStacks(app: App, config: MigrationConfig, selected: MigrationConfig): AccessStack[] {
  const spec = config.accessRole;
  if (spec === undefined) return [];
  const accounts = [...new Set(selected.regions.map((r) => r.account))];
  return accounts.map((account) => {
    const targets = config.regions.filter((r) => r.account === account);
    const region = spec.region ?? targets[0]!.region;
    const externalId = targets.find((t) => t.access !== undefined)?.access?.externalId ?? config.access?.externalId;
    return new AccessStack(app, accessStackId(account), {
      env: { account, region },
      stackName: accessStackId(account),
      description: `taegis-migrate: least-privilege role ${spec.roleName} for verify in account ${account}`,
      trustedPrincipalArn: spec.trustedPrincipalArn,
      roleName: spec.roleName,
      ...(externalId !== undefined ? { externalId } : {}),
      targets,
      // The app's GitHub OIDC roles run verify through this role: the drift workflow's of this account, the deploy
      // workflow's shards' of the pipeline account.
      ...(config.pipeline?.github?.deployOidcRole === true && verifyRoleNameOf(config) === spec.roleName
        ? {
            trustedRoles: [...new Set([account, config.pipeline.account])].map((a) => ({
              account: a,
              roleName: config.pipeline!.github!.roleName ?? DEFAULT_GITHUB_ROLE_NAME,
            })),
          }
        : {}),
    });
  });
}

/**
 * One `TaegisGitHubOidc-<account>` stack per selected account when the config asks for it
 * (`pipeline.github.deployOidcRole`), in the account's first configured region (IAM is global). Its role trusts the
 * configured repository's branch and the GitHub Environments of its approval waves, as lib/ci/github.ts names them.
 */
function githubOidcStacks(app: App, config: MigrationConfig, selected: MigrationConfig): GitHubOidcStack[] {
  const pc = config.pipeline;
  const gh = pc?.github;
  if (pc === undefined || gh?.deployOidcRole !== true) return [];
  const environments = resolveWaves(config.regions, pc.waves)
    .waves.filter((w) => w.approval)
    .map(githubEnvironmentName);
  const roleName = gh.roleName ?? DEFAULT_GITHUB_ROLE_NAME;
  const qualifier: unknown = app.node.tryGetContext('@aws-cdk/core:bootstrapQualifier');
  const accounts = [...new Set(selected.regions.map((r) => r.account))];
  // The deploy workflow's role is the pipeline account's (lib/ci/github.ts): its stack comes with the whole config.
  if (!accounts.includes(pc.account) && selected.regions.length === config.regions.length) accounts.push(pc.account);
  return accounts.map((account) => {
    const region = config.regions.find((r) => r.account === account)?.region ?? pc.region;
    return new GitHubOidcStack(app, githubOidcStackId(account), {
      env: { account, region },
      stackName: githubOidcStackId(account),
      description: `taegis-migrate: GitHub Actions OIDC role ${roleName} for ${pc.source.repository} in account ${account}`,
      repository: pc.source.repository,
      branch: pc.source.branch,
      environments,
      roleName,
      verifyRoleName: verifyRoleNameOf(config),
      pipelineAccount: account === pc.account,
      ...(typeof qualifier === 'string' ? { bootstrapQualifier: qualifier } : {}),
      ...(config.monitoring !== undefined
        ? { monitoredTargets: config.regions.filter((r) => r.account === account) }
        : {}),
      ...(pc.artifactsSource !== undefined
        ? {
            artifactObjectArns: Object.keys(pc.artifactsSource.sha256)
              .sort()
              .map(
                (f) =>
                  `arn:${partitionOf(region)}:s3:::${pc.artifactsSource!.bucket}/${pc.artifactsSource!.prefix}${f}`,
              ),
          }
        : {}),
      // A provider's ARN is its account and URL: the same provider in each target account.
      ...(gh.oidcProviderArn !== undefined
        ? { oidcProviderArn: gh.oidcProviderArn.replace(/:iam::\d{12}:/, `:iam::${account}:`) }
        : {}),
    });
  });
}
