// Names this Jest run, once, before any test file: the local-run fixtures (test/local/example-run.ts) are
// built by the first test file that needs them and shared with the others of the same run, never reused
// from an earlier run. Workers and in-band test files inherit the variable.
module.exports = async () => {
  process.env.ML_EXPORTS_TEST_RUN = `${Date.now()}-${process.pid}`;
};
