/**
 * `npm run simulate [-- options]`: synthesizes the app (or takes a cloud assembly), runs the synthesized
 * workflow offline (local/simulate.ts) and shows what happened: each step as it goes, every event as
 * EventBridge would receive it, a summary, and what AWS would have allowed. Exit status: 0 SUCCEEDED with
 * every request allowed, 1 FAILED (or stopped) or a request denied, 2 usage error, 3 broken.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliOptions, USAGE } from './cli-options';
import { LocalRunRefused, payloadBytes } from './limits';
import { exitStatus, simulate } from './simulate';
import { duration, printSummary } from './summary';

async function main(): Promise<number> {
  const args = cliOptions(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // With --json, stdout carries the one JSON document: everything else, handler logs included, goes to stderr.
  const writeStdout = process.stdout.write.bind(process.stdout);
  if (args.json)
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const relative = (p: string) => path.relative(process.cwd(), p) || '.';
  const result = await simulate({
    ...args.simulate,
    onSynthesized: ({ assemblyDir, configFile, seconds }) =>
      console.log(
        `Synthesized ${configFile ? relative(configFile) : 'the app'} into ${relative(assemblyDir)} (${seconds.toFixed(1)} s)`,
      ),
    onStart: (scenario, input) => {
      console.log(`Scenario "${args.simulate.scenario}": ${scenario.description}`);
      const inputText = JSON.stringify(input);
      console.log(
        `Input: ${inputText.length > 200 ? `${inputText.slice(0, 197)}... (${payloadBytes(input).toLocaleString('en-US')} bytes)` : inputText}\n`,
      );
    },
    onProgress: (p) => {
      if (args.json || (p.kind === 'state' && !args.showStates)) return;
      console.log(`[+${duration(p.simSeconds).padStart(7)}] ${(p.exportName ?? 'run').padEnd(18)} ${p.text}`);
    },
  });
  const document = `${JSON.stringify(result, null, 2)}\n`;
  if (args.output) fs.writeFileSync(args.output, document);
  if (args.json) writeStdout(document);
  else printSummary(result, relative(result.runDir));
  return exitStatus(result);
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    if (err instanceof LocalRunRefused) {
      // A usage error: what is wrong (a configuration's problems), then why in one line; exit status 2.
      if (err.details) process.stderr.write(`${err.details}\n`);
      process.stderr.write(`simulate: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`simulate: the local run broke: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 3;
  },
);
