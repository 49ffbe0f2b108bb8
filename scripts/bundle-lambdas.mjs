// Bundles each handler into dist/lambda/<handler>/index.js, as ExportFunction's NodejsFunction would, so
// that an app using the built package deploys these bundles and needs no esbuild of its own.
// Settings match lib/export-function.ts (node24, CJS, minified, source maps, the SDK clients included).
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const handlers = fs
  .readdirSync(path.join(root, 'lambda'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'lambda', d.name, 'index.ts')))
  .map((d) => d.name);

for (const handler of handlers) {
  const outfile = path.join(root, 'dist', 'lambda', handler, 'index.js');
  await build({
    entryPoints: [path.join(root, 'lambda', handler, 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  process.stderr.write(
    `${path.relative(root, outfile)} ${(fs.statSync(outfile).size / 1024).toFixed(0)} KiB\n`,
  );
}
