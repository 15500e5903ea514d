// npm run verify -- [flags]: an alias of `taegis-migrate verify` (kept so existing commands and CI steps keep working).
import { runProgram } from '../lib/commands/index.js';

await runProgram(['verify', ...process.argv.slice(2)]);
