import type { ParseArgsConfig } from 'node:util';
import { COMMON_FLAGS, configPathFrom, isStdout, withOptionalValue } from '../cli/flags.js';
import { outputFileProblem, writeOutputFile } from '../cli/output-path.js';
import { parseFlags } from '../cli/run.js';
import { DEFAULT_CONFIG_FILE } from '../config/load.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { CloudflareClient, DEFAULT_BASE_URL } from '../logpush/client.js';
import { collectHealth, parseRange } from '../logpush/health.js';
import { applySetup, collectStatus, planSetup, statusFailed } from '../logpush/jobs.js';
import { loadLogpushConfig, type LogpushConfig } from '../config/logpush-load.js';
import { Masker } from '../util/masking.js';
import {
  appliedLine,
  healthJson,
  healthLines,
  maskedOutput,
  setupLines,
  setupSummary,
  stepNotes,
  statusJson,
  unconfiguredNotes,
  statusLines,
  type Output,
} from '../logpush/output.js';
import { resolveAuth, resolveIntegrationKeys } from '../logpush/secrets.js';
import {
  resolveTaegisForLogpush,
  taegisDatasetHealth,
  taegisHealthJson,
  taegisHealthLines,
} from '../logpush/taegis-health.js';

export const USAGE = `usage: taegis-migrate logpush <setup|status|health> [flags]     (npm run logpush -- ... is the same)

  setup   create or update one Logpush job per configured dataset (idempotent); jobs with our name that it
          does not manage (a dataset not configured, another ingest URL, a duplicate) are reported, left alone
          --dry-run            show what would be created or updated; change nothing
  status  list the Logpush jobs of the configured accounts and zones with their last push and last error;
          exits 1 when a configured dataset has no job, or its job is disabled or failing
  health  records, bytes, compressed bytes and uploads per day; exits 1 when a job pushed nothing
          --since YYYY-MM-DD   first day (UTC, inclusive; default 6 days before --until)
          --until YYYY-MM-DD   last day (UTC, inclusive; default today)
          --dataset NAME       only this dataset (repeatable)
          --taegis             also ask the Taegis API (main config's "taegis" section) whether Taegis saw each
                               dataset's data since --since and the source is healthy
          --log-timeout SECONDS  with --taegis: keep asking this long (default 0: ask once)

  common  -c, --config PATH    config file with a "logpush" section, or a standalone logpush config
                               (default ${DEFAULT_CONFIG_FILE}; -c config=PATH also works)
          --json [FILE]        machine-readable output (status, health) into FILE, or stdout without FILE
          -h, --help           show this help

Credentials come from the environment or files, never from flags: CLOUDFLARE_API_TOKEN (preferred), or
CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY; integration keys as the config names them.
CLOUDFLARE_API_BASE_URL overrides ${DEFAULT_BASE_URL}.`;

/** What the command needs from its surroundings; tests pass their own. */
export interface LogpushDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout?: (s: string) => void;
  readonly stderr?: (s: string) => void;
  /** @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default new Date() */
  readonly now?: Date;
}

const COMMON = {
  config: COMMON_FLAGS.config,
  json: COMMON_FLAGS.json,
  help: COMMON_FLAGS.help,
} as const;

const SETUP_FLAGS = { ...COMMON, 'dry-run': { type: 'boolean' } } as const;
const HEALTH_FLAGS = {
  ...COMMON,
  since: { type: 'string' },
  until: { type: 'string' },
  dataset: { type: 'string', multiple: true },
  taegis: { type: 'boolean' },
  'log-timeout': { type: 'string' },
} as const;

interface Flags {
  readonly config?: string;
  readonly json?: string;
  readonly help?: boolean;
  readonly 'dry-run'?: boolean;
  readonly since?: string;
  readonly until?: string;
  readonly dataset?: string[];
  readonly taegis?: boolean;
  readonly 'log-timeout'?: string;
}

function baseUrlFrom(env: NodeJS.ProcessEnv): string {
  const value = env.CLOUDFLARE_API_BASE_URL;
  if (value === undefined || value === '') return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TaegisError('INPUT_INVALID', `CLOUDFLARE_API_BASE_URL "${value}" is not a URL`, {
      fix: `unset it, or set it to the API root such as ${DEFAULT_BASE_URL}`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TaegisError('INPUT_INVALID', `CLOUDFLARE_API_BASE_URL "${value}" is not an http(s) URL`, {
      fix: `use e.g. ${DEFAULT_BASE_URL}`,
    });
  }
  return value;
}

/** `npm run logpush -- <setup|status|health>`. Returns the exit code; throws TaegisError (masked) on failure. */
export async function logpushMain(argv: readonly string[], deps: LogpushDeps): Promise<ExitCode> {
  const masker = new Masker();
  const out = maskedOutput(masker, {
    stdout: deps.stdout ?? ((s) => process.stdout.write(s)),
    stderr: deps.stderr ?? ((s) => process.stderr.write(s)),
  });
  try {
    return await run(argv, deps, masker, out);
  } catch (err) {
    // runCli prints the error; masking it here keeps keys echoed by Cloudflare (destination_conf) out of stderr.
    throw masker.maskError(err);
  }
}

async function run(argv: readonly string[], deps: LogpushDeps, masker: Masker, out: Output): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out.out(USAGE);
    return command === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  if (command !== 'setup' && command !== 'status' && command !== 'health') {
    throw new TaegisError('INPUT_INVALID', `unknown command "${command}"`, {
      fix: 'use one of setup, status, health (see --help)',
    });
  }
  const options: ParseArgsConfig['options'] =
    command === 'setup' ? SETUP_FLAGS : command === 'health' ? HEALTH_FLAGS : COMMON;
  const flags = parseFlags(withOptionalValue(rest, '--json'), options).values as Flags;
  if (flags.help) {
    out.out(USAGE);
    return ExitCode.Ok;
  }
  if (command === 'setup' && flags.json !== undefined) {
    throw new TaegisError('INPUT_INVALID', 'setup has no --json output', {
      fix: 'drop --json (status and health take it)',
    });
  }

  // Everything the user gave is checked before the first Cloudflare call.
  const jsonFile = flags.json !== undefined && !isStdout(flags.json) ? flags.json : undefined;
  const jsonProblem = jsonFile === undefined ? undefined : outputFileProblem('--json', jsonFile);
  if (jsonProblem) {
    throw new TaegisError('INPUT_INVALID', `--json: ${jsonProblem.message}`, {
      fix: jsonProblem.fix ?? 'pick another path',
    });
  }
  const config = loadLogpushConfig(configPathFrom(flags.config));
  // The JSON report goes where --json says; masked like every other output.
  const emitJson = (value: unknown) => {
    const text = masker.mask(JSON.stringify(value, null, 2));
    if (jsonFile === undefined) out.out(text);
    else out.out(`wrote ${writeOutputFile(jsonFile, `${text}\n`)}`);
  };
  const baseUrl = baseUrlFrom(deps.env);
  const range = command === 'health' ? parseRange(flags.since, flags.until, deps.now) : undefined;
  if (flags.dataset) checkDatasets(config, flags.dataset);
  const taegis = command === 'health' && flags.taegis ? resolveTaegisForLogpush(config, deps.env, masker) : undefined;
  const taegisTimeout = flags['log-timeout'] === undefined ? 0 : Number(flags['log-timeout']);
  if (
    !Number.isInteger(taegisTimeout) ||
    taegisTimeout < 0 ||
    taegisTimeout > 86_400 ||
    (flags['log-timeout'] !== undefined && !taegis)
  ) {
    throw new TaegisError('INPUT_INVALID', `--log-timeout "${flags['log-timeout'] ?? ''}" is not usable here`, {
      fix: 'use it with health --taegis, as whole seconds from 0 to 86400',
    });
  }
  const auth = resolveAuth(config, deps.env, masker);
  const keys = resolveIntegrationKeys(config, deps.env, masker, { bestEffort: command !== 'setup' });
  const client = new CloudflareClient({
    auth,
    baseUrl,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    onRetry: (message) => out.err(`note: ${message}`),
  });

  if (command === 'setup') {
    const { steps, unconfigured } = await planSetup(client, config, keys);
    const dryRun = flags['dry-run'] === true;
    if (dryRun || steps.every((s) => s.action === 'unchanged')) {
      for (const line of setupLines(steps, dryRun, unconfigured)) out.out(line);
      return ExitCode.Ok;
    }
    await applySetup(client, steps, (step, job) => {
      out.out(appliedLine(step, job));
      for (const note of stepNotes(step)) out.out(note);
    });
    for (const note of unconfiguredNotes(unconfigured)) out.out(note);
    out.out(setupSummary(steps, 'applied'));
    return ExitCode.Ok;
  }
  if (command === 'status') {
    const rows = await collectStatus(client, config);
    if (flags.json !== undefined) emitJson(statusJson(rows));
    else for (const line of statusLines(rows)) out.out(line);
    return statusFailed(rows) ? ExitCode.CheckFailed : ExitCode.Ok;
  }
  const healthRange = range ?? parseRange(undefined, undefined, deps.now);
  const results = await collectHealth(client, config, healthRange, flags.dataset ?? []);
  const seen = taegis
    ? await taegisDatasetHealth(taegis, config, {
        since: new Date(`${healthRange.since}T00:00:00Z`),
        datasets: flags.dataset ?? [],
        timeoutSeconds: taegisTimeout,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        onRetry: (message) => out.err(`note: ${message}`),
      })
    : undefined;
  if (flags.json !== undefined) {
    const json = healthJson(results, healthRange) as Record<string, unknown>;
    emitJson(seen ? { ...json, taegis: taegisHealthJson(seen) } : json);
  } else {
    for (const line of healthLines(results, healthRange)) out.out(line);
    if (seen) for (const line of taegisHealthLines(seen)) out.out(line);
  }
  const taegisFailed = seen?.some((r) => r.outcome.status === 'fail') ?? false;
  return results.some((r) => r.problem) || taegisFailed ? ExitCode.CheckFailed : ExitCode.Ok;
}

function checkDatasets(config: LogpushConfig, wanted: readonly string[]): void {
  const configured = new Set([...config.accounts, ...config.zones].flatMap((s) => s.datasets.map((d) => d.dataset)));
  const unknown = wanted.filter((w) => !configured.has(w));
  if (unknown.length > 0) {
    throw new TaegisError(
      'INPUT_INVALID',
      `--dataset ${unknown.join(', ')} is not configured in ${config.configPath}`,
      {
        fix: `use one of ${[...configured].join(', ')}`,
      },
    );
  }
}
