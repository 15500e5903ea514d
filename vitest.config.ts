import { defineConfig } from 'vitest/config';

/**
 * Integration tests: they start moto_server or run the CDK CLI (or our scripts as child processes). Name new ones
 * `*.moto.test.ts`; the other entries predate that convention. Every other test file is a unit test
 * (`npm run test:unit`); startMoto() refuses to run there, so a misnamed moto test fails loudly.
 */
const INTEGRATION = [
  'test/**/*.moto.test.ts',
  'test/moto-deploy.test.ts',
  'test/moto-deploy-accounts.test.ts',
  'test/cli/program.test.ts',
  'test/pipeline/config.test.ts',
  'test/moto-harness.test.ts',
  'test/cli-synth.test.ts',
  'test/logpush/spawn.test.ts',
  'test/verify/verify.cli.test.ts',
  'test/verify/verify.proxy.test.ts',
];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two cores: moto servers and CDK synths are CPU-bound, more workers only contend.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: INTEGRATION,
          env: { TAEGIS_TEST_KIND: 'unit' },
          // Files of a worker share loaded modules: aws-cdk-lib is imported once per worker, not once per file
          // (halves the run). Unit tests must not depend on module state another file leaves behind.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          // One moto server per worker, shared by its files one after another (wiped for each).
          globalSetup: ['./test/support/moto-global-setup.ts'],
          // As for unit tests: the SDK and aws-cdk-lib load once per worker (import time 22 s -> 3 s over the files).
          // A file must leave no module state behind (startMoto's lease is returned by moto.stop()).
          isolate: false,
        },
      },
    ],
  },
});
