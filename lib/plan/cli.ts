import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsClientFactory } from '../aws/clients.js';
import { endpointFrom, parseFlags } from '../cli/run.js';
import { DEFAULT_CONFIG_FILE, loadConfig, selectRegions } from '../config/load.js';
import { ExitCode } from '../errors.js';
import { readAssembly, synthAssembly } from './assembly.js';
import { formatPlanReport, plan, planJson, type PlanOptions } from './plan.js';

export const PLAN_USAGE = `Usage: npm run plan -- [--config PATH] [--region R]... [--assembly DIR] [--json FILE]
                      [--app CMD] [--profile P] [--endpoint-url URL]

Synthesizes the app (or reads --assembly DIR), creates one CloudFormation change set per configured Lambda
stack, prints Action, LogicalResourceId, ResourceType and Replacement, and deletes every change set again.
Nothing is executed. The target regions must be CDK-bootstrapped (the templates check BootstrapVersion).
Exit: 0 safe to deploy, 1 the function or its trigger path would be replaced/removed, a stack is missing
or could not be planned, 2 bad input (config, flags).`;

export interface PlanCliDeps {
  readonly clients?: AwsClientFactory;
  readonly out?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory for `cdk synth` (where cdk.json is). @default process.cwd() */
  readonly cwd?: string;
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
    app: { type: 'string' },
    profile: { type: 'string' },
    'endpoint-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    out(PLAN_USAGE);
    return ExitCode.Ok;
  }
  const configPath = path.resolve(values.config ?? DEFAULT_CONFIG_FILE);
  const config = selectRegions(loadConfig(configPath), values.region ?? []);

  let tmp: string | undefined;
  const clients =
    deps.clients ??
    new AwsClientFactory({
      ...(endpointFrom(values['endpoint-url'], env) ? { endpoint: endpointFrom(values['endpoint-url'], env) } : {}),
      ...(values.profile ? { profile: values.profile } : {}),
    });
  try {
    let dir = values.assembly;
    if (dir === undefined) {
      tmp = mkdtempSync(path.join(tmpdir(), 'taegis-plan-'));
      dir = await synthAssembly({
        configPath,
        regions: config.regions.map((r) => r.region),
        outDir: tmp,
        ...(values.app !== undefined ? { app: values.app } : {}),
        ...(deps.cwd !== undefined ? { cwd: deps.cwd } : {}),
        env,
      });
    }
    const report = await plan(clients, config, readAssembly(dir), deps.planOptions);
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
