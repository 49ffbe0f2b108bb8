/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // aws-local-stepfunctions 3 needs Promise.withResolvers (Node 22); Node 20 gets a polyfill.
  setupFiles: ['<rootDir>/local/polyfill.cjs', '<rootDir>/test/setup-env.cjs'],
  // Names the run, so that test/local builds the example assembly and its scenario runs once per run.
  globalSetup: '<rootDir>/test/global-setup.cjs',
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  testTimeout: 120000,
};
