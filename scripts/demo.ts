// npm run demo -- [flags]: an alias of `taegis-migrate demo`.
import { runProgram } from '../lib/program/program.js';

await runProgram(['demo', ...process.argv.slice(2)]);
