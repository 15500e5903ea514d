import { defineConfig } from 'vitest/config';

/**
 * Where a test lives: test/<folder>/ mirrors lib/<folder>/, the folder of the code whose behaviour it checks. A test
 * that drives a command (in-process or as a child process) lives beside the domain that command serves (a verify run
 * in test/verify/, a deploy in test/deploy/), not in a folder of command edges; test/cli/ holds the tests of the CLI
 * proper (dispatcher, flags, fleet runs, exit codes across commands). Tests of the development scripts and of the docs
 * live in test/scripts/ and test/docs/. Shared helpers are in test/support/, data files in test/fixtures/.
 *
 * Which project runs it: `*.moto.test.ts` is an integration test, every other file a unit test (`npm run
 * test:unit`). Integration means the file needs a moto server or the CDK CLI, or spends its time in child runs of our
 * CLI (bin/taegis-migrate.mjs) or app (seconds each, kept out of the unit run). The suffix names the project (its time
 * budget, a moto server per worker), so a few such files touch no moto: the CDK CLI synth, Logpush against a fake
 * Cloudflare, the app run for pipeline config errors. A unit test spawns a child only where one or two runs are the
 * point (the app's bad-input exit, `ci github` writing its workflow). startMoto() and run('npx', ['cdk', ...]) refuse
 * to run in the unit project, so a misnamed integration test fails loudly.
 */
const INTEGRATION = ['test/**/*.moto.test.ts'];

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
