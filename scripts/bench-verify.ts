// npm run bench:verify -- [flags]: an alias of `taegis-migrate bench verify`.
import { runProgram } from '../lib/commands/index.js';

await runProgram(['bench', 'verify', ...process.argv.slice(2)]);
