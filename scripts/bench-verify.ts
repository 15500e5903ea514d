import { runCli } from '../lib/cli/run.js';
import { benchVerify } from '../test/bench/verify-bench.js';

await runCli(benchVerify);
