// npm run plan -- [flags]: an alias of `taegis-migrate plan` (kept so existing commands and CI steps keep working).
import { runProgram } from '../lib/commands/index.js';

await runProgram(['plan', ...process.argv.slice(2)]);
