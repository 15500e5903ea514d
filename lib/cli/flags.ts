import { DEFAULT_CONFIG_FILE } from '../config/load.js';

/** The config path: `--config PATH` (or `-c PATH`, `-c config=PATH`: the parser takes both), else the default. */
export function configPathFrom(value: string | undefined): string {
  return value ?? DEFAULT_CONFIG_FILE;
}

/** True when a `--json` value means stdout. */
export function isStdout(value: string | undefined): boolean {
  return value === '-';
}
