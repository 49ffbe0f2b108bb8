/** `cdk synth` of this app into a folder, as a user would run it, optionally with another configuration file. */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..');

export interface SynthOptions {
  /** Show the CDK CLI's and the bundler's output on stderr as it goes. @default false (kept, shown on failure) */
  readonly verbose?: boolean;
}

/** Throws when synth fails; the error's `output` holds what the CDK CLI printed. */
export function synthesize(outDir: string, configFile?: string, options: SynthOptions = {}): void {
  try {
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
        stdio: options.verbose ? ['ignore', process.stderr, process.stderr] : 'pipe',
      },
    );
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`;
    throw Object.assign(new Error(`cdk synth failed\n${output}`), { output });
  }
}
