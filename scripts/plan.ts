import { planMain } from '../lib/plan/cli.js';
import { runCli } from '../lib/cli/run.js';

await runCli((argv) => planMain(argv));
