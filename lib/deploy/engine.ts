import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BaseCredentials,
  ExpandStackSelection,
  NonInteractiveIoHost,
  StackParameters,
  StackSelectionStrategy,
  Toolkit,
  ToolkitError,
  type IIoHost,
} from '@aws-cdk/toolkit-lib';
import { buildApp, type RegionStacks, type TaegisApp } from '../app/app.js';
import { readCredentials } from '../artifacts/vendor.js';
import { SHARED_PARAMETERS } from '../facts/taegis.js';
import { selectAccounts, selectRegions, type MigrationConfig } from '../config/load.js';
import { credentialsSecretFor } from '../secret/secret.js';
import { TaegisError } from '../util/errors.js';
import { ApprovingIoHost, type RequireApproval } from '../cli/approval.js';
import { targetsOf } from '../aws/accounts.js';
import { openAccountSession } from '../cli/session.js';
import { ensureLogGroups, type NeededLogGroup } from '../monitoring/log-groups.js';
import { functionLogGroup } from '../monitoring/names.js';
import { ALL_TARGETS_WAVE, runWaves, type FleetWave, type WaveOutcome } from '../cli/fleet.js';
import { mapLimit } from '../util/concurrency.js';
import { NO_FAILURES } from '../util/tolerance.js';

export interface DeployAppOptions {
  /**
   * Limit to these regions (each must be configured).
   * @default - every configured region
   */
  readonly regions?: readonly string[];
  /**
   * Limit to these accounts (each must be configured). Other accounts are reached the standard CDK way: each is
   * bootstrapped with `--trust <deploying account>` and the toolkit assumes its bootstrap deploy role.
   * @default - every configured account
   */
  readonly accounts?: readonly string[];
  /**
   * Construct-id patterns of the stacks to deploy (`TaegisShared-*`, `TaegisLambda-us-east-1-*`).
   * @default - every stack of the selected regions
   */
  readonly stacks?: readonly string[];
  /**
   * Whether the default selection (no `stacks`) includes the per-account stacks (`TaegisAccess-<account>`,
   * `TaegisGitHubOidc-<account>`). A pipeline job per region skips them in all but one job per account, so two jobs
   * never update the same stack at once.
   * @default "include"
   */
  readonly accountStacks?: AccountStacksChoice;
  /**
   * Deploy only the matched stacks, not the stacks they depend on (like `cdk deploy --exclusively`).
   * @default false
   */
  readonly exclusively?: boolean;
  /**
   * How CloudFormation applies the change: a change set (AWS's and the CLI's default) or a direct UpdateStack.
   * @default "change-set"
   */
  readonly method?: 'change-set' | 'direct';
  /**
   * Keep a deployed stack's current value for parameters this deploy does not set (like the CLI's default).
   * Every value from the config is baked into the templates, so this only concerns parameters the vendor defaults.
   * @default true
   */
  readonly previousParameters?: boolean;
  /**
   * Synthesize into this folder and keep it afterwards (tests scan it for the secret).
   * @default - a temporary folder, removed when the deploy ends
   */
  readonly outdir?: string;
  /**
   * Where the runtime notice goes (what AWS's dates for the chosen runtime mean for this migration), once.
   * @default - nowhere
   */
  readonly warn?: (message: string) => void;
  /**
   * Where the toolkit's progress goes.
   * @default - a non-interactive host printing to the terminal
   */
  readonly ioHost?: IIoHost;
  /**
   * Which security-sensitive changes stop the deploy for approval (the CDK CLI's `--require-approval`).
   * @default "never"
   */
  readonly requireApproval?: RequireApproval;
  /**
   * Asks the user to approve; without it a change that needs approval stops the deploy (exit 1).
   * @default - nobody is asked
   */
  readonly ask?: (question: string) => Promise<boolean>;
  /**
   * Where the change that needs approval (its diff) and the reason for asking go.
   * @default - nowhere
   */
  readonly say?: (text: string) => void;
  /**
   * Named profile the toolkit takes its credentials from.
   * @default - the AWS CLI's chain (AWS_PROFILE, env credentials, SSO, ...)
   */
  readonly profile?: string;
  /**
   * Runs after the app is synthesized and the stack selection is known to match, before the first AWS call (the CLI
   * checks credentials and the endpoint here, so a bad input is reported before anything is called).
   * @default - nothing
   */
  readonly beforeAws?: () => Promise<void>;
  /**
   * Creates the log groups a monitoring stack's metric filters need, when missing (lib/monitoring/log-groups.ts).
   * @default - each in its own account: the caller's credentials, or the config's `access` role for another account;
   * a target whose account cannot be entered fails with the reason and is not deployed, the others go on
   */
  readonly ensureLogGroups?: (groups: readonly NeededLogGroup[]) => Promise<unknown>;
  /**
   * The waves to deploy, in order (lib/cli/fleet.ts): each target is one toolkit deploy, `concurrency` targets at once;
   * a failed target is recorded and the others go on; a wave past its tolerance stops the waves after it.
   * @default - every selected target in one wave, one at a time, no failure tolerated
   */
  readonly waves?: readonly FleetWave[];
  /**
   * Where a line per target goes as it starts, ends or fails (each names the account and region).
   * @default - nowhere
   */
  readonly progress?: (line: string) => void;
}

/** Whether a deploy's default selection includes the per-account stacks. */
export type AccountStacksChoice = 'include' | 'skip';
export const ACCOUNT_STACKS_CHOICES: readonly AccountStacksChoice[] = ['include', 'skip'];

/**
 * The construct ids a deploy selects when no `--stack` is given: every stack of the selected targets, and the
 * per-account stacks of their accounts unless `accountStacks` is "skip".
 */
export function defaultStackPatterns(
  built: Pick<TaegisApp, 'regions' | 'access' | 'githubOidc'>,
  accountStacks: AccountStacksChoice = 'include',
): string[] {
  return [
    ...built.regions.flatMap((r) =>
      [r.staging, r.shared, ...r.lambdas, ...(r.monitoring ? [r.monitoring] : [])].map((s) => s.node.id),
    ),
    ...(accountStacks === 'include'
      ? [...built.access.map((s) => s.node.id), ...built.githubOidc.map((s) => s.node.id)]
      : []),
  ];
}

/** One stack the deploy brought up to date. */
export interface DeployedStack {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
}

/** Where the deploy stood when it returned. */
export interface DeployAppResult {
  /** CloudFormation names of the stacks deployed, in order. */
  readonly deployed: readonly string[];
  /** The same stacks with their account and region (the shared stacks of all regions may share one name). */
  readonly stacks: readonly DeployedStack[];
  /** Every target's deploy, failed ones with their reason, in the order they finished. */
  readonly targets: readonly TargetDeploy[];
  /** How each wave went against its tolerance. */
  readonly waves: readonly WaveOutcome[];
  /** True when a wave failed more targets than it tolerates (the run fails; later waves did not start). */
  readonly exceeded: boolean;
}

/** One target's share of a deploy: the stacks it selects there, and what happened. */
export interface TargetDeploy {
  readonly wave: string;
  readonly account: string;
  readonly region: string;
  /** Construct ids of the selected stacks in this target (dependencies first, as the toolkit orders them). */
  readonly ids: readonly string[];
  /** Their CloudFormation names. */
  readonly names: readonly string[];
  readonly deployed: readonly DeployedStack[];
  /** Why the target failed (the toolkit's error as the user sees it). */
  readonly error?: unknown;
  readonly reason?: string;
  /** Its wave did not start. */
  readonly notStarted?: boolean;
}

/**
 * Splits the toolkit's selection into one unit per target of the waves. A per-account stack (TaegisAccess,
 * TaegisGitHubOidc) goes with the target of its own environment, else with its account's first target in the waves.
 */
export function deployUnits(
  selection: readonly {
    readonly id: string;
    readonly name: string;
    readonly environment: { readonly account: string; readonly region: string };
  }[],
  waves: readonly FleetWave[],
  configured: readonly { readonly account: string; readonly region: string }[],
): Omit<TargetDeploy, 'deployed'>[] {
  const units = waves.flatMap((w) =>
    w.targets.map((t) => ({
      wave: w.name,
      account: t.account,
      region: t.region,
      ids: [] as string[],
      names: [] as string[],
    })),
  );
  for (const s of selection) {
    const { account, region } = s.environment;
    const isTarget = configured.some((t) => t.account === account && t.region === region);
    // A target's stack goes with that target only (it is left out when the target is in no wave of this run).
    const unit = isTarget
      ? units.find((u) => u.account === account && u.region === region)
      : units.find((u) => u.account === account);
    if (unit === undefined) continue;
    // The toolkit lists a stack as "<construct id> (<stack name>)" and selects by the construct id.
    unit.ids.push(s.id.replace(/ \([^)]*\)$/, ''));
    unit.names.push(s.name);
  }
  return units;
}

/**
 * `cdk deploy` in-process, with the shared stacks' `SecretValue` read from credentials.txt and handed to
 * CloudFormation as a NoEcho parameter through the SDK: the credentials never appear on a command line (nothing is
 * spawned), in the cloud assembly (it is synthesized before they are read) or in any output.
 */
export async function deployApp(config: MigrationConfig, options: DeployAppOptions = {}): Promise<DeployAppResult> {
  const outdir = options.outdir ?? mkdtempSync(path.join(tmpdir(), 'taegis-deploy-'));
  try {
    const selected = selectRegions(selectAccounts(config, options.accounts ?? []), options.regions ?? []);
    const built = await buildApp(config, {
      regions: options.regions ?? [],
      accounts: options.accounts ?? [],
      appProps: { outdir, builtinCloudFormationValidation: false },
      // Without --exclusively every shared stack goes out with its Lambda stacks: check credentials.txt up front,
      // unless every shared stack reads its SecretValue from Secrets Manager (a dynamic reference in its template).
      requireCredentials:
        options.exclusively !== true && selected.regions.some((r) => credentialsSecretFor(selected, r) === undefined),
      pipeline: false,
      ...(options.warn ? { warn: options.warn } : {}),
    });
    if ((built.nag?.own.length ?? 0) > 0) {
      throw new TaegisError('CHECK_FAILED', `cdk-nag found ${built.nag!.own.length} problem(s) in our own stacks`, {
        fix: 'run "npx cdk synth" to see them; this is a bug in taegis-migrate',
      });
    }
    built.app.synth();

    const ioHost = new ApprovingIoHost(options.ioHost ?? new NonInteractiveIoHost({ logLevel: 'info' }), {
      requireApproval: options.requireApproval ?? 'never',
      ...(options.ask ? { ask: options.ask } : {}),
      write: options.say ?? (() => undefined),
    });
    const toolkit = new Toolkit({
      ioHost,
      color: false,
      emojis: false,
      ...(options.profile !== undefined
        ? { sdkConfig: { baseCredentials: BaseCredentials.awsCliCompatible({ profile: options.profile }) } }
        : {}),
    });
    const cx = await toolkit.fromAssemblyDirectory(outdir);
    const stacks = {
      strategy: StackSelectionStrategy.PATTERN_MUST_MATCH,
      patterns:
        options.stacks && options.stacks.length > 0
          ? [...options.stacks]
          : defaultStackPatterns(built, options.accountStacks),
      expand: options.exclusively ? ExpandStackSelection.NONE : ExpandStackSelection.UPSTREAM,
    };
    // Ask the toolkit which stacks this selection deploys (its own glob and dependency rules), so every shared
    // stack it will deploy gets the secret.
    // StackDetails.id is a display name; the CloudFormation name plus account and region identifies a stack (the
    // shared stacks of all regions and accounts may share one name).
    const selection = await listSelection(toolkit, cx, stacks, built.regions);
    const deploying = new Set(selection.map((s) => `${s.environment.account}/${s.environment.region}/${s.name}`));
    const withSecret = new Set(
      built.config.regions
        .filter((r) => credentialsSecretFor(built.config, r) !== undefined)
        .map((r) => `${r.account}/${r.region}`),
    );
    const selectedShared = built.regions
      .filter(
        (r) =>
          deploying.has(`${r.account}/${r.region}/${r.shared.stackName}`) &&
          !withSecret.has(`${r.account}/${r.region}`),
      )
      .map((r) => r.shared);
    await options.beforeAws?.();
    const parameters: Record<string, string> = {};
    if (selectedShared.length > 0) {
      // Read only now, after synthesis: the value exists in this process's memory and in the SDK request, nowhere else.
      const secret = readCredentials(built.config.artifactPaths.credentials);
      for (const s of selectedShared) parameters[`${s.stackName}:${SHARED_PARAMETERS.secretValue}`] = secret;
    }

    // A metric filter needs its log group; a function that never ran has none yet. Made here, not in the stack.
    const groups = built.regions
      .filter((r) => r.monitoring && deploying.has(`${r.account}/${r.region}/${r.monitoring.stackName}`))
      .flatMap((r) =>
        r.monitoring!.functions.map((f) => ({
          account: r.account,
          region: r.region,
          logGroupName: functionLogGroup(f.functionName),
        })),
      );
    // Targets that cannot start, with the reason: their account cannot be entered to make their log groups.
    const blocked = new Map<string, string>();
    if (groups.length > 0) {
      if (options.ensureLogGroups) await options.ensureLogGroups(groups);
      else {
        // Each group is made in its own account: another account is entered with the config's `access` role.
        const session = openAccountSession({ command: 'deploy', flags: { profile: options.profile } });
        try {
          const routing = await session.route(
            targetsOf(config).filter((t) => groups.some((g) => g.account === t.account && g.region === t.region)),
          );
          await routing.eachTarget(
            groups,
            1,
            async (clients, g) => void (await ensureLogGroups(() => clients, [g])),
            (g, reason) => void blocked.set(`${g.account}/${g.region}`, reason),
          );
        } finally {
          session.close();
        }
      }
    }

    // One toolkit deploy per target (account, region): the toolkit stops a deploy at its first failed stack, so a
    // fleet deploy in one call would leave every later target untouched. A failed target is recorded; the others go on.
    const waves: readonly FleetWave[] = options.waves ?? [
      {
        name: ALL_TARGETS_WAVE,
        targets: selected.regions.map((r) => ({ account: r.account, region: r.region })),
        tolerance: NO_FAILURES,
        concurrency: 1,
      },
    ];
    const units = deployUnits(selection, waves, built.config.regions);
    const stackParameters =
      options.previousParameters === false
        ? StackParameters.exactly(parameters)
        : StackParameters.withExisting(parameters);
    const deployMethod =
      options.method === 'direct' ? { method: 'direct' as const } : { method: 'change-set' as const };
    const say = options.progress ?? (() => undefined);
    const targets: TargetDeploy[] = [];
    const run = await runWaves(waves, async (wave) => {
      const mine = units.filter((u) => u.wave === wave.name);
      const done = await mapLimit(mine, wave.concurrency, async (u): Promise<TargetDeploy> => {
        const where = `account ${u.account} region ${u.region}`;
        if (u.ids.length === 0) return { ...u, deployed: [] };
        const why = blocked.get(`${u.account}/${u.region}`);
        if (why !== undefined) {
          const error = new TaegisError('CHECK_FAILED', `${why}; nothing was deployed in ${where}`);
          say(`FAILED ${where}: ${error.message}`);
          return { ...u, deployed: [], error, reason: error.message };
        }
        say(`deploying ${where}: ${u.names.join(', ')}`);
        try {
          const result = await toolkit.deploy(cx, {
            stacks: {
              strategy: StackSelectionStrategy.PATTERN_MUST_MATCH,
              patterns: [...u.ids],
              expand: ExpandStackSelection.NONE,
            },
            parameters: stackParameters,
            deploymentMethod: deployMethod,
          });
          const deployed = result.stacks.map((s) => ({
            stackName: s.stackName,
            region: s.environment.region,
            account: s.environment.account,
          }));
          say(`deployed ${where}: ${deployed.map((s) => s.stackName).join(', ') || '(nothing)'}`);
          return { ...u, deployed };
        } catch (err) {
          // Credentials the toolkit cannot use for this one target (its bootstrap role refused) fail the target, not
          // the input: the base credentials were checked before the first target.
          const raw = deployError(err, ioHost.refused);
          const error =
            raw instanceof TaegisError && raw.isBadInput
              ? new TaegisError('CHECK_FAILED', raw.message, { ...(raw.fix ? { fix: raw.fix } : {}), cause: err })
              : raw;
          const reason = error instanceof Error ? error.message : String(error);
          say(`FAILED ${where}: ${reason}`);
          return { ...u, deployed: [], error, reason };
        }
      });
      targets.push(...done);
      return {
        result: done,
        targets: wave.targets.map((t) => ({
          ...t,
          failed: done.some((d) => d.account === t.account && d.region === t.region && d.error !== undefined),
        })),
      };
    });
    // Targets of waves that did not start: reported, never deployed.
    for (const u of units)
      if (!targets.some((t) => t.wave === u.wave && t.account === u.account && t.region === u.region))
        targets.push({ ...u, deployed: [], notStarted: true });
    const deployed = targets.flatMap((t) => t.deployed);
    return {
      deployed: deployed.map((s) => s.stackName),
      stacks: deployed,
      targets,
      waves: run.waves,
      exceeded: run.exceeded,
    };
  } finally {
    if (options.outdir === undefined) rmSync(outdir, { recursive: true, force: true });
  }
}

/** The toolkit's view of the selection; a pattern that matches no stack is bad input, found before any AWS call. */
async function listSelection(
  toolkit: Toolkit,
  cx: Parameters<Toolkit['list']>[0],
  stacks: { readonly patterns: readonly string[] } & NonNullable<Parameters<Toolkit['list']>[1]>['stacks'],
  regions: readonly RegionStacks[],
) {
  try {
    return await toolkit.list(cx, { stacks });
  } catch (err) {
    if (!ToolkitError.isToolkitError(err)) throw err;
    const ids = regions.flatMap((r) => [r.staging, r.shared, ...r.lambdas].map((s) => s.node.id));
    throw new TaegisError('INPUT_INVALID', `--stack ${stacks.patterns.join(', ')}: ${err.message}`, {
      fix: `use construct ids or globs of these stacks: ${ids.join(', ')}`,
    });
  }
}

/**
 * What a failed toolkit deploy means for the user: a refused approval or a CloudFormation failure is a failed check
 * (exit 1) with the stack's reason; credentials the toolkit cannot use are bad input (exit 2).
 */
function deployError(err: unknown, refused: string | undefined): unknown {
  if (!ToolkitError.isToolkitError(err)) return err;
  if (ToolkitError.isAbortError(err) && refused !== undefined) {
    return new TaegisError('CHECK_FAILED', `deploy stopped for approval: ${refused}; that stack was not changed`, {
      fix: 'review the changes (taegis-migrate plan), then deploy from a terminal and answer y, or pass --require-approval never',
      cause: err,
    });
  }
  if (ToolkitError.isAuthenticationError(err)) {
    return new TaegisError('CREDENTIALS_MISSING', `the deploy cannot use the AWS credentials: ${err.message}`, {
      fix: 'set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "aws sso login"',
      cause: err,
    });
  }
  const message = err.message.trim();
  const fix = /bootstrap/i.test(message)
    ? 'bootstrap the account and region once: npx cdk bootstrap aws://ACCOUNT/REGION'
    : "read the stack's events in the CloudFormation console for the resource that failed, fix the cause and deploy again";
  return new TaegisError('CHECK_FAILED', `deploy failed: ${message}`, { fix, cause: err });
}
