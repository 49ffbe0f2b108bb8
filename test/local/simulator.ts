/** Test helpers: synthesize the app with the CDK CLI, and run the local simulator's CLI on the result. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocalRunResult } from '../../local/run';
import { ROOT } from '../../local/synth';

export { ROOT, synthesize } from '../../local/synth';

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
