// npm run bench:synth -- [flags]: an alias of `taegis-migrate bench synth`.
import { runProgram } from '../lib/commands/index.js';

await runProgram(['bench', 'synth', ...process.argv.slice(2)]);
