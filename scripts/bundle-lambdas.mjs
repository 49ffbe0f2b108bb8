// Bundles every handler into dist/lambda/<handler>/index.js with the settings synth uses
// (lib/private/handler-bundles.ts, compiled to dist/ first), so that an app using the built package deploys these
// bundles and needs no esbuild of its own.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const { bundleHandlers, handlerNames } = createRequire(import.meta.url)(
  '../dist/lib/private/handler-bundles.js',
);
const out = path.join(root, 'dist', 'lambda');
bundleHandlers(out, root);
for (const handler of handlerNames(root)) {
  const file = path.join(out, handler, 'index.js');
  process.stderr.write(`${path.relative(root, file)} ${(fs.statSync(file).size / 1024).toFixed(0)} KiB\n`);
}
