// npm run ci -- github [--config PATH] [--write [FILE]] [--check FILE] (see lib/ci/cli.ts).
import { ciMain } from '../lib/ci/cli.js';
import { runCli } from '../lib/cli/run.js';

void runCli((argv) => Promise.resolve().then(() => ciMain(argv)));
