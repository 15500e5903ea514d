// npm run secret -- put [--config PATH] [--region R]... : credentials.txt into Secrets Manager (see lib/secret/cli.ts).
import { runCli } from '../lib/cli/run.js';
import { secretMain } from '../lib/secret/cli.js';

void runCli((argv) => secretMain(argv));
