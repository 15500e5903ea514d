// npm run logpush -- [flags]: an alias of `taegis-migrate logpush` (kept so existing commands and CI steps keep working).
import { runProgram } from '../lib/commands/index.js';

await runProgram(['logpush', ...process.argv.slice(2)]);
