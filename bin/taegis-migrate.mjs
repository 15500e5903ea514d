#!/usr/bin/env node
// The taegis-migrate program (package.json "bin"; `npx taegis-migrate` in the project folder). Plain JavaScript so it
// starts with `node` from any folder: tsx is registered in this process (no second process, so Ctrl-C reaches the
// command itself) and resolved next to this file, not in the caller's folder. All logic lives in lib/.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { runProgram } = await import('../lib/commands/index.ts');
await runProgram(process.argv.slice(2));
