import { readdirSync } from 'node:fs';
import * as path from 'node:path';

/** Every file under `dir`, recursively (absolute paths). */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
