// @ts-check
import eslint from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const COMMANDS = [
  './lib/verify',
  './lib/plan',
  './lib/discover',
  './lib/bench',
  './lib/pipeline',
  './lib/ci',
  './lib/secret',
  './lib/demo',
  './lib/deploy.ts',
  './lib/app.ts',
];
const ABOVE_STACKS = [...COMMANDS, './lib/logpush', './lib/taegis-config.ts'];
const ABOVE_CONFIG = [...ABOVE_STACKS, './lib/stacks'];
const ABOVE_LOGPUSH = [...COMMANDS, './lib/stacks', './lib/taegis-config.ts'];

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
    // Folders depend one way (bin/scripts -> lib/*.ts -> lib/<concern>/ -> lib/errors.ts ...); a cycle through
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
      // no-cycle skips type-only imports (erased at run time); folders must not depend on each other in a circle even
      // for types: lib/config sits below the feature folders, lib/taegis-config.ts and lib/app.ts compose above them.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './lib/config', from: ABOVE_CONFIG, message: 'lib/config sits below the feature folders' },
            { target: './lib/stacks', from: ABOVE_STACKS, message: 'lib/stacks sits below the commands' },
            { target: './lib/logpush', from: ABOVE_LOGPUSH, message: 'lib/logpush depends on lib/config only' },
          ],
        },
      ],
    },
  },
);
