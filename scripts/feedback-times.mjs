// `npm run bench:feedback [-- --runs N] [-- --dir CHECKOUT]`: how long a developer waits, each command
// run N times (default 3) in the checkout, with min / median / max of the wall time:
// - `npm test` (the fast tier),
// - `cdk synth` of the default app (the CDK CLI, into a fresh folder),
// - `npm run simulate` as on a fresh clone (no handler bundles kept from an earlier run).
// A benchmark, not a test: the figures depend on the machine; compare two checkouts on the same one.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, dir: { type: 'string' } },
});
const runs = Number(values.runs);
const dir = path.resolve(values.dir ?? path.join(import.meta.dirname, '..'));
const env = { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' };

/** Seconds the command took, run in the checkout; it must succeed. */
function time(command, args, before = () => {}) {
  before();
  const started = process.hrtime.bigint();
  execFileSync(command, args, { cwd: dir, env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const commands = [
  ['npm test', () => time('npm', ['test'])],
  [
    'cdk synth (default app)',
    () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'feedback-synth-'));
      try {
        return time('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', out]);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  ],
  [
    'npm run simulate (fresh clone)',
    () =>
      time('npm', ['run', 'simulate'], () => {
        for (const kept of ['node_modules/.cache/ml-exports', '.sim-out', 'cdk.out'])
          fs.rmSync(path.join(dir, kept), { recursive: true, force: true });
      }),
  ],
];

process.stdout.write(`${dir}, ${runs} runs each, ${os.cpus().length} cores\n`);
for (const [name, measure] of commands) {
  const seconds = Array.from({ length: runs }, measure).sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)];
  process.stdout.write(
    `${name.padEnd(32)} median ${median.toFixed(1)} s (min ${seconds[0].toFixed(1)}, max ${seconds.at(-1).toFixed(1)})\n`,
  );
}
