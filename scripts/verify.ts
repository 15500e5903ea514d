import { runCli } from '../lib/cli/run.js';
import { verifyMain } from '../lib/verify/cli.js';

await runCli((argv) => verifyMain(argv));
