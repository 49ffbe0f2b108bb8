/** Test helpers: synthesize the app with the CDK CLI, and run the local simulator's CLI on the result. */
import { execFile } from 'node:child_process';
import type { LocalRunResult } from '../../local/run';
import { ROOT } from '../../local/synth';

export { ROOT, synthesize } from '../../local/synth';

export type SimulationResult = LocalRunResult & { scenario: string; input: unknown; exitCode: number };

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Runs a command in the project folder; resolves whatever its exit status. */
export function run(command: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (typeof code !== 'number') reject(err ?? new Error('no exit status'));
      else resolve({ stdout, stderr, code });
    });
  });
}

/** `npm run simulate -- <args>` (without npm); returns what it printed and its exit status. */
export function cli(args: readonly string[]): Promise<CliRun> {
  return run(process.execPath, [
    '--require',
    './local/polyfill.cjs',
    '--import',
    'tsx',
    'local/cli.ts',
    ...args,
  ]);
}

/** `npm run simulate -- <args>`; returns what it printed on stdout. */
export async function simulateText(args: string[]): Promise<string> {
  return (await cli(args)).stdout;
}

/** `npm run simulate -- --json <args>`; returns the parsed result (the whole of stdout) and the exit status. */
export async function simulate(args: string[]): Promise<SimulationResult> {
  const { stdout, stderr, code } = await cli(['--json', ...args]);
  if (code > 1) throw new Error(`simulate exited ${code}: ${stderr}`);
  return { ...(JSON.parse(stdout) as SimulationResult), exitCode: code };
}
