import { logpush } from '../cli/definition/logpush.js';
import { configPathFrom, isStdout } from '../cli/flags.js';
import { createOutput, type Output } from '../cli/output.js';
import { outputFileProblem } from '../cli/output-path.js';
import { parseCommand } from '../cli/parse.js';
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
  setupLines,
  setupSummary,
  stepNotes,
  statusJson,
  unconfiguredNotes,
  statusLines,
} from '../logpush/output.js';
import { resolveAuth, resolveIntegrationKeys } from '../logpush/secrets.js';
import {
  resolveTaegisForLogpush,
  taegisDatasetHealth,
  taegisHealthJson,
  taegisHealthLines,
} from '../logpush/taegis-health.js';

/** What the command needs from its surroundings; tests pass their own. */
export interface LogpushDeps {
  readonly env: NodeJS.ProcessEnv;
  /** Writes text as it is (each line with its newline). @default process.stdout */
  readonly stdout?: (s: string) => void;
  /** Writes text as it is (each line with its newline). @default process.stderr */
  readonly stderr?: (s: string) => void;
  /** @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default new Date() */
  readonly now?: Date;
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

/** `taegis-migrate logpush <setup|status|health>`. Returns the exit code; throws TaegisError (masked) on failure. */
export async function logpushMain(argv: readonly string[], deps: LogpushDeps): Promise<ExitCode> {
  const masker = new Masker();
  const { stdout, stderr } = deps;
  // Everything goes through the masker: no path to stdout or stderr skips it.
  const out = createOutput({
    ...(stdout ? { stdout: (line: string) => stdout(`${line}\n`) } : {}),
    ...(stderr ? { stderr: (line: string) => stderr(`${line}\n`) } : {}),
    mask: (text) => masker.mask(text),
  });
  try {
    return await run(argv, deps, masker, out);
  } catch (err) {
    // runCli prints the error; masking it here keeps keys echoed by Cloudflare (destination_conf) out of stderr.
    throw masker.maskError(err);
  }
}

async function run(argv: readonly string[], deps: LogpushDeps, masker: Masker, out: Output): Promise<ExitCode> {
  const { values: flags, sub: command, help } = parseCommand(logpush, argv);
  if (help !== undefined || command === undefined) {
    // Without a subcommand the parser has already refused the line; `help` is then the only way here.
    out.out(help ?? '');
    return ExitCode.Ok;
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
  const emitJson = (value: unknown) =>
    out.report(`${JSON.stringify(value, null, 2)}\n`, jsonFile ?? '-', { announce: true });
  const baseUrl = baseUrlFrom(deps.env);
  const range = command === 'health' ? parseRange(flags.since, flags.until, deps.now) : undefined;
  if (flags.dataset.length > 0) checkDatasets(config, flags.dataset);
  const taegis = command === 'health' && flags.taegis ? resolveTaegisForLogpush(config, deps.env, masker) : undefined;
  // The parser checked the bounds; the flag only means something with --taegis.
  const taegisTimeout = flags['log-timeout'] ?? 0;
  if (flags['log-timeout'] !== undefined && !taegis) {
    throw new TaegisError('INPUT_INVALID', `--log-timeout ${taegisTimeout} is only for health --taegis`, {
      fix: 'add --taegis, or drop --log-timeout',
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
  const results = await collectHealth(client, config, healthRange, flags.dataset);
  const seen = taegis
    ? await taegisDatasetHealth(taegis, config, {
        since: new Date(`${healthRange.since}T00:00:00Z`),
        datasets: flags.dataset,
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
