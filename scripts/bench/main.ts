/**
 * The benchmarks: development tools, not commands of taegis-migrate. They seed moto with the test support's
 * fixtures and time the product's own code, so they live here, outside the product: lib/ never imports test/ (a lint
 * rule). Run as `npm run bench:<synth|verify|fleet> -- [flags]`.
 */
import { reportError, ExitCode, TaegisError } from '../../lib/util/errors.js';

export const BENCH_USAGE = `usage: npm run bench:<synth|verify|fleet> -- [flags]

  synth    times a 17-region x 6-stack synth against a 1 x 1 synth, end to end (the app process cdk synth starts)
           and in-process; exit 1 when the large synth takes more than 2x the small one
           --runs N                timed runs per size (default 3)
           --artifacts DIR         vendor artifacts folder (default assets/example)
  verify   seeds moto (started on a free 127.0.0.1 port, stopped by PID) with many stacks, runs verify against it
           and compares with an aws-cli baseline
           --baseline-stacks N     stacks in the aws-cli baseline (5 to 100, default 10)
           --concurrency N         verify's concurrency (default 16)
           --accounts N            accounts (1 to 50, default 1; more than 1 is the multi-account mode)
  fleet    seeds moto with ACCOUNTS x REGIONS targets (STACKS each) and runs verify over them as the CLI does, against
           the same stacks in one account; exit 1 when the fleet adds more than 0.5 requests per stack or 1.3x the time
           --accounts N            accounts (default 100)
           --regions N             regions per account (1 to 6, default 3)
           --stacks N              stacks per target (default 1)
           --concurrency N         verify's concurrency (default 16)
  -h, --help                       show this help`;

/** Runs one benchmark; the moto-driven ones are loaded only when asked for. */
export async function benchMain(argv: readonly string[], out = (t: string) => console.log(t)): Promise<ExitCode> {
  const [which, ...rest] = argv;
  if (
    which === undefined ||
    ['-h', '--help', 'help'].includes(which) ||
    rest.some((a) => a === '-h' || a === '--help')
  ) {
    out(BENCH_USAGE);
    return which === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  if (which === 'synth') return (await import('./synth.js')).benchSynth(rest, out);
  if (which === 'verify') return (await import('./verify.js')).benchVerify(rest);
  if (which === 'fleet') return (await import('./fleet.js')).benchFleet(rest);
  throw new TaegisError('INPUT_INVALID', `unknown benchmark "${which}"`, {
    fix: 'run npm run bench:synth, npm run bench:verify or npm run bench:fleet',
  });
}

if (import.meta.filename === process.argv[1]) {
  // As the program does: the SDK's Node-version notice would only clutter the numbers.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await benchMain(process.argv.slice(2)).catch((err: unknown) => reportError(err));
}
