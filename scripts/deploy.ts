// npm run deploy -- [flags]: an alias of `taegis-migrate deploy` (kept so existing commands and CI steps keep working).
import { runProgram } from '../lib/commands/index.js';

await runProgram(['deploy', ...process.argv.slice(2)]);
