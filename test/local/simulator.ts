/** Test helpers: synthesize the app with the CDK CLI, and run the local simulator's CLI on the result. */
import { execFile, execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { LocalRunResult } from '../../local/run';

export const ROOT = path.join(__dirname, '../..');

/** `cdk synth` into `outDir`, as a user would, optionally with another configuration file. */
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

export type SimulationResult = LocalRunResult & { scenario: string; input: unknown };

/** `npm run simulate -- <args>` without the synth step; returns what it printed. */
export async function simulateText(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--require', './local/polyfill.cjs', '--import', 'tsx', 'local/cli.ts', ...args],
    { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout;
}

/** `npm run simulate -- --json <args>` without the synth step; returns the parsed result. */
export async function simulate(args: string[]): Promise<SimulationResult> {
  return JSON.parse(await simulateText(['--json', ...args])) as SimulationResult;
}
