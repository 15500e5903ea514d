// @ts-check
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import eslint from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of lib/, lowest first. A folder may import only from a lower layer, never from its own
 * layer or above, so no two folders can import each other in a circle (import-x/no-cycle sees only module cycles, and
 * skips type-only imports). A new folder under lib/ must be placed here, or lint fails.
 */
const LAYERS = [
  ['emulator', 'facts', 'util'],
  ['artifacts'],
  ['config'],
  ['aws', 'taegis'],
  ['cli', 'logpush', 'monitoring', 'secret'],
  ['demo', 'plan', 'stacks'],
  ['discover', 'pipeline', 'verify'],
  ['app', 'ci', 'replay'],
  ['deploy'],
  ['commands'],
];
const unplaced = readdirSync(path.join(import.meta.dirname, 'lib')).filter((e) => !LAYERS.flat().includes(e));
if (unplaced.length > 0) {
  throw new Error(`eslint.config.mjs: place lib/${unplaced.join(', lib/')} in LAYERS (which layers it imports from)`);
}
const LAYER_ZONES = LAYERS.flatMap((layer, i) =>
  layer.map((entry) => ({
    target: `./lib/${entry}`,
    from: LAYERS.slice(i)
      .flat()
      .filter((other) => other !== entry)
      .map((other) => `./lib/${other}`),
    message: `lib/${entry} may import only from a lower layer of LAYERS in eslint.config.mjs (${LAYERS.slice(0, i).flat().join(', ') || 'none'})`,
  })),
).filter((zone) => zone.from.length > 0);

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'cdk.out*/', 'coverage/', '**/*.d.ts'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.mjs', 'bin/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Folders depend one way (bin -> lib/commands -> lib/<concern>/ -> lib/util ...); a cycle through
    // any import, type-only ones included, fails lint. The TypeScript resolver maps NodeNext `./x.js` to `./x.ts`.
    files: ['**/*.ts'],
    plugins: { 'import-x': /** @type {any} */ (importX) },
    settings: {
      // Without these, import-x reads only .js dependencies and sees no cycle through .ts files.
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Folders too depend one way, type-only imports included: LAYERS above. The product never leans on the
      // development tools (test support, benchmarks).
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...LAYER_ZONES,
            {
              target: './lib',
              from: ['./test', './scripts'],
              message: 'lib/ is the product: it may not import test/ or scripts/ (move what it needs into lib/)',
            },
          ],
        },
      ],
    },
  },
);
