// npm run discover -- [flags]: an alias of `taegis-migrate discover` (kept so existing commands and CI steps keep working).
import { runProgram } from '../lib/commands/index.js';

await runProgram(['discover', ...process.argv.slice(2)]);
