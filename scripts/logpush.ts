import { runCli } from '../lib/cli/run.js';
import { logpushMain } from '../lib/logpush/cli.js';

void runCli((argv) => logpushMain(argv, { env: process.env }));
