import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { LoadConfigOptions, MigrationConfig } from '../../lib/config/load.js';
import { parseConfig } from '../../lib/config/load.js';

export const ROOT = path.join(import.meta.dirname, '..', '..');
export const EXAMPLE_DIR = path.join(ROOT, 'assets', 'example');
export const EXAMPLE_CONFIG = path.join(EXAMPLE_DIR, 'taegis.config.json');

/** The example config as written (a fresh copy to mutate). */
export function exampleRawConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8')) as Record<string, unknown>;
}

/** The example config, parsed, anchored in the example folder; `options.now` pins the runtime rule's clock. */
export function exampleConfig(
  mutate: (raw: Record<string, unknown>) => void = () => {},
  options: LoadConfigOptions = {},
): MigrationConfig {
  const raw = exampleRawConfig();
  mutate(raw);
  return parseConfig(raw, EXAMPLE_CONFIG, options);
}

/** A temp copy of the example folder (artifacts + config) that a test may break. */
export function copyExample(): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'taegis-example-'));
  cpSync(EXAMPLE_DIR, dir, { recursive: true });
  return { dir, config: path.join(dir, 'taegis.config.json') };
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2));
}

/** A temp copy of the example folder whose config has `mutate` applied; the folder is handed to `track` for removal. */
export function copyExampleWith(mutate: (raw: Record<string, unknown>) => void, track: string[]): string {
  const example = copyExample();
  track.push(example.dir);
  const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
  mutate(raw);
  writeJson(example.config, raw);
  return example.config;
}
