// npm run demo -- [--dir DIR] [--log-timeout SECONDS]: the whole migration on a local AWS emulator (moto).
import { runCli } from '../lib/cli/run.js';
import { demoMain } from '../lib/demo/cli.js';

void runCli((argv) => demoMain(argv));
