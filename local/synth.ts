/**
 * Synthesizes the app in this process, as `cdk synth` would (bin/app.ts, the context of cdk.json, asset
 * metadata on), into a folder of the caller's: no CDK CLI to start, no lock on a shared cdk.out, and the
 * handlers bundled once by one esbuild call (lib/handler-bundles.ts).
 */
import { App } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp, CONFIG_FILE_CONTEXT_KEY } from '../app/app';
import { LocalRunRefused } from './limits';

export const ROOT = path.join(__dirname, '..');

/** The app's context from cdk.json, as the CDK CLI passes it to the app. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Synthesizes the app (with `configFile`, or the configuration cdk.json names) into `outDir`. Throws what
 * the app throws: a ConfigurationError for a bad configuration file, cdk-nag's findings, a CDK error.
 */
export function synthesize(outDir: string, configFile?: string): void {
  const existing = fs.existsSync(outDir) ? fs.readdirSync(outDir) : [];
  if (existing.length > 0 && !existing.includes('manifest.json'))
    throw new LocalRunRefused(
      `${outDir} holds files but no cloud assembly (no manifest.json): not synthesizing over them`,
    );
  fs.rmSync(outDir, { recursive: true, force: true });
  const app = new App({
    outdir: outDir,
    context: {
      ...cdkJsonContext(),
      ...(configFile ? { [CONFIG_FILE_CONTEXT_KEY]: configFile } : {}),
      // The CLI's default: the local run finds each function's code through this metadata.
      'aws:cdk:enable-asset-metadata': true,
    },
    // The template is checked against the CloudFormation schemas by `cdk synth` and by the tests
    // (test/lib/cloudformation-validation.test.ts); a local run of it needs only the artifacts.
    builtinCloudFormationValidation: false,
  });
  buildApp(app);
  app.synth();
}
