/** `cdk synth` of this app into a folder, as a user would run it, optionally with another configuration file. */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..');

export function synthesize(outDir: string, configFile?: string): void {
  execFileSync(
    'npx',
    [
      'cdk',
      'synth',
      '--quiet',
      '--no-notices',
      '-o',
      outDir,
      ...(configFile ? ['-c', `mlExports:configFile=${configFile}`] : []),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      stdio: 'pipe',
    },
  );
}
