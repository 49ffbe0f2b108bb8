/**
 * Three test tiers, one project each (CONTRIBUTING.md):
 * - fast (`npm test`): the contract, the handlers, the templates and the generated docs, in process, in
 *   about a minute;
 * - e2e (`npm run test:e2e`): local runs of the synthesized workflow (test/local);
 * - package (`npm run test:package`): the packed library installed into a throw-away app (test/package).
 * @type {import('jest').Config}
 */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // aws-local-stepfunctions 3 needs Promise.withResolvers (Node 22); Node 20 gets a polyfill.
  setupFiles: ['<rootDir>/local/polyfill.cjs', '<rootDir>/test/setup-env.cjs'],
  // Names the run, so that test/local builds the example assembly and its scenario runs once per run.
  globalSetup: '<rootDir>/test/global-setup.cjs',
};

module.exports = {
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  // Jest's default (one worker less than the cores) is one worker on two cores; the tests wait on spawned
  // commands and files as much as on the CPU, and two workers take about 25% less time there.
  maxWorkers: Math.max(2, require('node:os').availableParallelism() - 1),
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'fast',
      roots: [
        '<rootDir>/test/contract',
        '<rootDir>/test/lambda',
        '<rootDir>/test/lib',
        '<rootDir>/test/scripts',
      ],
    },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/local'] },
    {
      ...common,
      displayName: 'package',
      roots: ['<rootDir>/test/package'],
      // Builds the package once (jsii, the handler bundles, API.md) for every test file of the tier.
      globalSetup: '<rootDir>/test/package/global-setup.cjs',
    },
  ],
};
