import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ExpandStackSelection,
  NonInteractiveIoHost,
  StackParameters,
  StackSelectionStrategy,
  Toolkit,
  type IIoHost,
} from '@aws-cdk/toolkit-lib';
import { buildApp } from './app.js';
import { readCredentials, SHARED_PARAMETERS } from './artifacts/vendor.js';
import { selectRegions, type TaegisConfig } from './config/load.js';
import { credentialsSecretFor } from './secret/secret.js';
import { TaegisError } from './errors.js';

export interface DeployAppOptions {
  /**
   * Limit to these regions (each must be configured).
   * @default - every configured region
   */
  readonly regions?: readonly string[];
  /**
   * Construct-id patterns of the stacks to deploy (`TaegisShared-*`, `TaegisLambda-us-east-1-*`).
   * @default - every stack of the selected regions
   */
  readonly stacks?: readonly string[];
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
   * Where the toolkit's progress goes.
   * @default - a non-interactive host printing to the terminal
   */
  readonly ioHost?: IIoHost;
}

/** Where the deploy stood when it returned. */
export interface DeployAppResult {
  /** CloudFormation names of the stacks deployed, in order. */
  readonly deployed: readonly string[];
}

/**
 * `cdk deploy` in-process, with the shared stacks' `SecretValue` read from credentials.txt and handed to
 * CloudFormation as a NoEcho parameter through the SDK: the credentials never appear on a command line (nothing is
 * spawned), in the cloud assembly (it is synthesized before they are read) or in any output.
 */
export async function deployApp(config: TaegisConfig, options: DeployAppOptions = {}): Promise<DeployAppResult> {
  const outdir = options.outdir ?? mkdtempSync(path.join(tmpdir(), 'taegis-deploy-'));
  try {
    const selected = selectRegions(config, options.regions ?? []);
    const built = await buildApp(config, {
      regions: options.regions ?? [],
      appProps: { outdir, builtinCloudFormationValidation: false },
      // Without --exclusively every shared stack goes out with its Lambda stacks: check credentials.txt up front,
      // unless every shared stack reads its SecretValue from Secrets Manager (a dynamic reference in its template).
      requireCredentials:
        options.exclusively !== true && selected.regions.some((r) => credentialsSecretFor(selected, r) === undefined),
      pipeline: false,
    });
    if ((built.nag?.own.length ?? 0) > 0) {
      throw new TaegisError('CHECK_FAILED', `cdk-nag found ${built.nag!.own.length} problem(s) in our own stacks`, {
        fix: 'run "npx cdk synth" to see them; this is a bug in taegis-migrate',
      });
    }
    built.app.synth();

    const toolkit = new Toolkit({
      ioHost: options.ioHost ?? new NonInteractiveIoHost({ logLevel: 'info' }),
      color: false,
      emojis: false,
    });
    const cx = await toolkit.fromAssemblyDirectory(outdir);
    const stacks = {
      strategy: StackSelectionStrategy.PATTERN_MUST_MATCH,
      patterns:
        options.stacks && options.stacks.length > 0
          ? [...options.stacks]
          : built.regions.flatMap((r) => [r.staging, r.shared, ...r.lambdas].map((s) => s.node.id)),
      expand: options.exclusively ? ExpandStackSelection.NONE : ExpandStackSelection.UPSTREAM,
    };
    // Ask the toolkit which stacks this selection deploys (its own glob and dependency rules), so every shared
    // stack it will deploy gets the secret.
    // StackDetails.id is a display name; the CloudFormation name plus region identifies a stack (the shared stacks
    // of all regions may share one name).
    const deploying = new Set((await toolkit.list(cx, { stacks })).map((s) => `${s.environment.region}/${s.name}`));
    const withSecret = new Set(
      built.config.regions
        .filter((r) => credentialsSecretFor(built.config, r) !== undefined)
        .map((r) => `${r.account}/${r.region}`),
    );
    const selectedShared = built.regions
      .filter((r) => deploying.has(`${r.region}/${r.shared.stackName}`) && !withSecret.has(`${r.account}/${r.region}`))
      .map((r) => r.shared);
    const parameters: Record<string, string> = {};
    if (selectedShared.length > 0) {
      // Read only now, after synthesis: the value exists in this process's memory and in the SDK request, nowhere else.
      const secret = readCredentials(built.config.artifactPaths.credentials);
      for (const s of selectedShared) parameters[`${s.stackName}:${SHARED_PARAMETERS.secretValue}`] = secret;
    }

    const result = await toolkit.deploy(cx, {
      stacks,
      parameters:
        options.previousParameters === false
          ? StackParameters.exactly(parameters)
          : StackParameters.withExisting(parameters),
      deploymentMethod: options.method === 'direct' ? { method: 'direct' } : { method: 'change-set' },
    });
    return { deployed: result.stacks.map((s) => s.stackName) };
  } finally {
    if (options.outdir === undefined) rmSync(outdir, { recursive: true, force: true });
  }
}
