// The package tier tests what `npm run build` makes (the jsii assembly, API.md, dist/), so it builds once,
// before any test file. API.md as it was before the build is kept for the freshness test
// (test/package/assembly.test.ts): the build rewrites it.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nameRun = require('../global-setup.cjs');

const ROOT = path.join(__dirname, '../..');

module.exports = async () => {
  await nameRun();
  const before = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-api-')), 'API.md');
  const apiMd = path.join(ROOT, 'API.md');
  if (fs.existsSync(apiMd)) fs.copyFileSync(apiMd, before);
  process.env.ML_EXPORTS_API_MD_BEFORE_BUILD = before;
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    throw new Error(`npm run build failed:\n${err.stdout}\n${err.stderr}`);
  }
};
