/**
 * Test helpers: local runs in this process through the runner's API (local/simulate.ts), with the
 * command line's own options; and, for what only a process shows (exit status, what is printed), the
 * command itself.
 */
import { execFile } from 'node:child_process';
import { cliOptions } from '../../local/cli-options';
import {
  exitStatus,
  simulate as simulateInProcess,
  type SimulationResult as Simulated,
} from '../../local/simulate';
import { ROOT } from '../../local/synth';

export { ROOT, synthesize } from '../../local/synth';

/** The JSON document `--json` prints, and the exit status the command would have. */
export type SimulationResult = Simulated & { exitCode: number };

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

/**
 * `npm run simulate -- --json <args>`, in this process: the document it would print (as JSON reads it
 * back) and the exit status it would have. A usage error throws.
 */
export async function simulate(args: string[]): Promise<SimulationResult> {
  const result = await simulateInProcess(cliOptions(args).simulate);
  const document = JSON.parse(JSON.stringify(result)) as Simulated;
  return { ...document, exitCode: exitStatus(result) };
}
