// npm run secret -- [flags]: an alias of `taegis-migrate secret`.
import { runProgram } from '../lib/program/program.js';

await runProgram(['secret', ...process.argv.slice(2)]);
