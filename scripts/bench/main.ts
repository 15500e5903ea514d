/**
 * The benchmarks: development tools, not commands of taegis-migrate. They seed moto with the test support's
 * fixtures and time the product's own code, so they live here, outside the product: lib/ never imports test/ (a lint
 * rule). Run as `npm run bench:<synth|verify|fleet> -- [flags]`.
 */
import { parseCommand } from '../../lib/cli/parse.js';
import { ExitCode, reportError } from '../../lib/util/errors.js';
import { bench } from './definition.js';

/** Runs one benchmark; the moto-driven ones are loaded only when asked for. Flags: ./definition.ts. */
export async function benchMain(argv: readonly string[], out = (t: string) => console.log(t)): Promise<ExitCode> {
  const { values, sub, help } = parseCommand(bench, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  if (sub === 'synth') return (await import('./synth.js')).benchSynth(values, out);
  if (sub === 'verify') {
    return (await import('./verify.js')).benchVerify({
      baselineStacks: values['baseline-stacks'],
      concurrency: values.concurrency,
      accounts: values.accounts ?? 1,
    });
  }
  return (await import('./fleet.js')).benchFleet({
    accounts: values.accounts ?? 100,
    regions: values.regions,
    stacks: values.stacks,
    concurrency: values.concurrency,
  });
}

if (import.meta.filename === process.argv[1]) {
  // As the program does: the SDK's Node-version notice would only clutter the numbers.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await benchMain(process.argv.slice(2)).catch((err: unknown) => reportError(err));
}
