/**
 * The handlers' bundles, built by one esbuild call for all of them: spawning esbuild once per function,
 * as NodejsFunction does, took most of a synth. The built package ships them prebuilt under
 * dist/lambda/<handler>/ (scripts/bundle-lambdas.mjs calls bundleHandlers), so an app using it needs no
 * esbuild; from the sources (this repository) they are built on first use and kept, by a hash of what
 * goes into them, under node_modules/.cache/ml-exports/.
 * @see https://esbuild.github.io/api/#entry-points
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The project (or, for the built package, dist/) folder: lambda/ and contract/ are in it. */
const ROOT = path.join(__dirname, '..', '..');

/** What each bundle is built with: the settings the deployed functions were tested with. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  // The Lambda runtime (Runtime.NODEJS_24_X in export-function.ts).
  target: 'node24',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  // Bundle the pinned SDK clients rather than use the runtime's copy, so what runs is what was tested.
  external: [],
  logLevel: 'warning',
} as const;

/** The handlers: each folder of `lambda/` with an `index.ts`. */
export function handlerNames(root = ROOT): string[] {
  const dir = path.join(root, 'lambda');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

/**
 * Bundles every handler into `<outDir>/<handler>/index.js` (with its source map) in one esbuild call.
 * esbuild is loaded here only: a built package never calls this.
 */
export function bundleHandlers(outDir: string, root = ROOT): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    ...BUNDLE_OPTIONS,
    external: [...BUNDLE_OPTIONS.external],
    entryPoints: Object.fromEntries(
      handlerNames(root).map((h) => [`${h}/index`, path.join(root, 'lambda', h, 'index.ts')]),
    ),
    outdir: outDir,
    absWorkingDir: root,
  });
}

/** The folder holding `<handler>`'s bundle (`index.js`, `index.js.map`). */
export function handlerBundleDir(handler: string): string {
  const prebuilt = path.join(ROOT, 'lambda', handler);
  if (fs.existsSync(path.join(prebuilt, 'index.js')) && !fs.existsSync(path.join(prebuilt, 'index.ts')))
    return prebuilt;
  return path.join(bundlesFromSources(), handler);
}

let built: string | undefined;

/** Every handler bundled from the sources, built once per content of its inputs. */
function bundlesFromSources(): string {
  if (built && fs.existsSync(built)) return built;
  const cache = path.join(ROOT, 'node_modules', '.cache', 'ml-exports');
  const dir = path.join(cache, `handlers-${inputsHash()}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(cache, { recursive: true });
    // Built beside, then renamed into place: another process building the same bundles at the same time
    // (parallel test workers) either finds them whole or not at all.
    const temp = fs.mkdtempSync(path.join(cache, 'building-'));
    try {
      bundleHandlers(temp);
      fs.renameSync(temp, dir);
    } catch (err) {
      fs.rmSync(temp, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw err;
    }
  }
  built = dir;
  return dir;
}

/**
 * A hash of everything that goes into the bundles: the handlers' and the contract's sources, the locked
 * dependency versions, and the settings.
 */
function inputsHash(): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(BUNDLE_OPTIONS));
  const files = ['lambda', 'contract'].flatMap((d) => listFiles(path.join(ROOT, d)));
  const lock = path.join(ROOT, 'package-lock.json');
  if (fs.existsSync(lock)) files.push(lock);
  for (const file of files.sort()) {
    hash.update(path.relative(ROOT, file));
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}
