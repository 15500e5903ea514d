// npm run demo -- [flags]: an alias of `taegis-migrate demo`.
import { runProgram } from '../lib/commands/index.js';

await runProgram(['demo', ...process.argv.slice(2)]);
