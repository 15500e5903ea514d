import { discoverMain } from '../lib/discover/cli.js';
import { runCli } from '../lib/cli/run.js';

await runCli((argv) => discoverMain(argv));
