// npm run secret -- [flags]: an alias of `taegis-migrate secret`.
import { runProgram } from '../lib/commands/index.js';

await runProgram(['secret', ...process.argv.slice(2)]);
