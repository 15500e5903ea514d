// npm run docs:commands: writes docs/commands.md from the CLI definition (lib/cli/definition/). A unit test fails
// when the committed file differs from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { commandsMarkdown } from '../lib/cli/help.js';

const file = path.join(import.meta.dirname, '..', 'docs', 'commands.md');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, commandsMarkdown());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
