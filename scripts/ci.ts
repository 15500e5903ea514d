// npm run ci -- [flags]: an alias of `taegis-migrate ci`.
import { runProgram } from '../lib/commands/index.js';

await runProgram(['ci', ...process.argv.slice(2)]);
