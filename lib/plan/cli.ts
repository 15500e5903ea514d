import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsClientFactory } from '../aws/clients.js';
import { clientsFromFlags, parseFlags } from '../cli/run.js';
import { DEFAULT_CONFIG_FILE, selectRegions } from '../config/load.js';
import { loadAppConfig } from '../config/load-for-app.js';
import { ExitCode } from '../errors.js';
import { readAssembly } from './assembly.js';
import { buildApp } from '../app.js';
import { formatPlanReport, plan, planJson, type PlanOptions } from './plan.js';

export const PLAN_USAGE = `Usage: npm run plan -- [--config PATH] [--region R]... [--assembly DIR] [--json FILE]
                      [--no-previous-parameters] [--profile P] [--endpoint-url URL]

Synthesizes the app (or reads --assembly DIR), creates one CloudFormation change set per configured Lambda
stack, prints Action, LogicalResourceId, ResourceType and Replacement, and deletes every change set again.
Nothing is executed. Parameters are chosen as the deploy chooses them: a stack keeps its value of a parameter
the template leaves to a default, unless --no-previous-parameters (plan a deploy run with that flag). The target regions must be CDK-bootstrapped (the templates check BootstrapVersion).
Exit: 0 safe to deploy, 1 the function or its trigger path would be replaced/removed, a stack is missing
or could not be planned, 2 bad input (config, flags, vendor files).`;

export interface PlanCliDeps {
  readonly clients?: AwsClientFactory;
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly planOptions?: PlanOptions;
}

/** `npm run plan`: config first (exit 2 before any AWS call), then synth or --assembly, then one change set per stack. */
export async function planMain(argv: readonly string[], deps: PlanCliDeps = {}): Promise<ExitCode> {
  const out = deps.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const env = deps.env ?? process.env;
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    region: { type: 'string', multiple: true },
    assembly: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'string' },
    'endpoint-url': { type: 'string' },
    'no-previous-parameters': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    out(PLAN_USAGE);
    return ExitCode.Ok;
  }
  const configPath = path.resolve(values.config ?? DEFAULT_CONFIG_FILE);
  const config = selectRegions(loadAppConfig(configPath), values.region ?? []);

  let tmp: string | undefined;
  const clients = deps.clients ?? clientsFromFlags(values, env);
  try {
    let dir = values.assembly;
    if (dir === undefined) {
      // In-process, as `npm run deploy` does: the same app and checks as `cdk synth`, and a bad config or vendor
      // file surfaces as the app's own error (exit 2) before any AWS call. nag judges our stacks, not the plan.
      tmp = mkdtempSync(path.join(tmpdir(), 'taegis-plan-'));
      const built = await buildApp(config, {
        appProps: { outdir: tmp, builtinCloudFormationValidation: false },
        nag: false,
        pipeline: false,
        warn: (message) => process.stderr.write(`${message}\n`),
      });
      dir = built.app.synth().directory;
    }
    const report = await plan(clients, config, readAssembly(dir), {
      ...deps.planOptions,
      ...(values['no-previous-parameters'] ? { previousParameters: false } : {}),
    });
    out(formatPlanReport(report));
    if (values.json !== undefined) {
      writeFileSync(path.resolve(values.json), planJson(report));
      out(`wrote ${path.resolve(values.json)}`);
    }
    return report.result === 'pass' ? ExitCode.Ok : ExitCode.CheckFailed;
  } finally {
    if (!deps.clients) clients.destroy();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}
