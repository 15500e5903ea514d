// npm run bench:verify -- [flags]: an alias of `taegis-migrate bench verify`.
import { runProgram } from '../lib/cli/program.js';

await runProgram(['bench', 'verify', ...process.argv.slice(2)]);
