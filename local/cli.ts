/**
 * `npm run simulate [-- options]`: runs the synthesized workflow offline (see local/run.ts) and shows what
 * happened: each step as it goes, every event as EventBridge would receive it, and a summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { configuredExports, configuredQuotas, loadAssembly } from './assembly';
import { runLocal, type LocalRunResult } from './run';
import { buildScenario, describeScenarios } from './scenarios';

const USAGE = `Usage: npm run simulate -- [options]

Runs the state machine and Lambda bundles from the cloud assembly (cdk.out) offline, against local
stand-ins for Glue and Personalize, on a simulated clock.

Options:
  --scenario NAME             what the services do (default: happy); see the list below
  --input FILE                execution input, as pasted in the Step Functions console (default: {})
  --name NAME                 execution name (default: local-<timestamp>)
  --start-time ISO            simulated start of the execution (default: now)
  --glue-job-seconds N        how long a Glue export task run takes (default: 600)
  --personalize-job-seconds N how long a Personalize export job takes (default: 1500)
  --assembly DIR              cloud assembly to run (default: cdk.out)
  --out DIR                   where exported files are written (default: .sim-out)
  --json                      print one JSON document with the whole result instead
  --redrive                   if the execution fails in its export map, redrive it once, as from the console
  --logs                      show the handlers' own log lines
  --no-states                 do not show each state entered, only tasks, checks and events
  --help                      this text

Scenarios:
${describeScenarios()}
`;

function fail(message: string): never {
  console.error(`simulate: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    fail(`${flag} must be a whole number of seconds of at least 1; got "${value}"`);
  return n;
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function printSummary(result: LocalRunResult, outDir: string): void {
  console.log(`\nEvents sent to EventBridge (${result.events.length}):`);
  for (const { event, eventBusName } of result.events) {
    console.log(`--- ${event['detail-type']} (bus: ${eventBusName})`);
    console.log(JSON.stringify(event, null, 2));
  }
  if (result.firstAttempt) {
    const { failedState, error } = result.firstAttempt;
    console.log(
      `\nFirst attempt: FAILED in state "${failedState}" (${error.error}: ${error.cause}); redriven`,
    );
  }
  console.log(
    `\nExecution ${result.executionName}: ${result.status}` +
      (result.error
        ? ` in state "${result.failedState}" (${result.error.error}: ${result.error.cause})`
        : ''),
  );
  console.log(
    `Simulated time ${duration(result.simulatedSeconds)}; ${result.counts.stateTransitions} state transitions, ` +
      `${result.counts.lambdaInvocations} Lambda invocations, ${result.counts.retries} retries; ` +
      `jobs started: ${result.counts.glueTaskRunsStarted} Glue, ${result.counts.personalizeJobsCreated} Personalize`,
  );
  console.log(
    `History (estimated, limit 25,000 per execution): run ${result.counts.runHistoryEvents} events, ` +
      `largest export ${result.counts.largestExportHistoryEvents}; ` +
      `largest state input ${result.counts.largestStateInputBytes} bytes (limit 262,144)`,
  );
  if (result.exports.length > 0 && result.exports.length <= 50) {
    console.log('');
    console.log(
      table([
        ['EXPORT', 'TYPE', 'OUTCOME', 'CHECKS', 'JOB TIME', 'EVENTS', 'OUTPUT / ERROR'],
        ...result.exports.map((e) => [
          e.name,
          e.type,
          e.outcome ?? '-',
          String(e.polls),
          duration(e.simulatedSeconds),
          String(e.events),
          e.outcome === 'SUCCEEDED' ? (e.outputS3Path ?? '') : (e.error ?? ''),
        ]),
      ]),
    );
  }
  const counts = result.exports.map((e) => e.events);
  if (result.exports.length > 0) {
    const once = counts.every((n) => n === 1);
    console.log(
      `\nTerminal events: ${result.exports.length} export(s), ` +
        (once
          ? 'each with exactly one'
          : `NOT one each: ${result.exports
              .filter((e) => e.events !== 1)
              .map((e) => `${e.name} (${e.events})`)
              .join(', ')}`),
    );
  }
  console.log(`\nFiles written under ${outDir} (${result.filesWritten.length}):`);
  for (const f of result.filesWritten.slice(0, 20)) console.log(`  ${f}`);
  if (result.filesWritten.length > 20)
    console.log(`  ... and ${result.filesWritten.length - 20} more (--json lists them all)`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        scenario: { type: 'string', default: 'happy' },
        input: { type: 'string' },
        name: { type: 'string' },
        'start-time': { type: 'string' },
        'glue-job-seconds': { type: 'string' },
        'personalize-job-seconds': { type: 'string' },
        assembly: { type: 'string', default: 'cdk.out' },
        out: { type: 'string', default: '.sim-out' },
        json: { type: 'boolean', default: false },
        logs: { type: 'boolean', default: false },
        redrive: { type: 'boolean', default: false },
        'no-states': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const assemblyDir = path.resolve(args.assembly!);
  if (!fs.existsSync(path.join(assemblyDir, 'manifest.json')))
    fail(`no cloud assembly in ${assemblyDir}: run "npx cdk synth" first`);
  const region = 'us-east-1';
  const assembly = loadAssembly(assemblyDir, region);
  const configured = configuredExports(assembly);
  const regionOfDataset = configured.find((e) => e.type === 'personalize')?.datasetArn?.split(':')[3];
  let scenario;
  try {
    scenario = buildScenario(args.scenario!, {
      configured,
      glueJobSeconds: positiveInt(args['glue-job-seconds'], '--glue-job-seconds', 600),
      personalizeJobSeconds: positiveInt(args['personalize-job-seconds'], '--personalize-job-seconds', 1500),
      quotas: configuredQuotas(assembly),
    });
  } catch (err) {
    fail((err as Error).message);
  }
  let input: unknown = scenario.input ?? {};
  if (args.input) {
    try {
      input = JSON.parse(fs.readFileSync(args.input, 'utf8'));
    } catch (err) {
      fail(`cannot read --input ${args.input}: ${(err as Error).message}`);
    }
  }
  const startTime = args['start-time'] ? new Date(args['start-time']) : new Date();
  if (Number.isNaN(startTime.getTime()))
    fail(`--start-time must be an ISO date such as 2026-01-31T03:00:00Z; got "${args['start-time']}"`);
  const outDir = path.resolve(args.out!);
  if (!args.json) {
    console.log(`Scenario "${args.scenario}": ${scenario.description}`);
    console.log(`Input: ${JSON.stringify(input)}\n`);
  }
  const result = await runLocal({
    assemblyDir,
    input,
    executionName: args.name,
    startTime,
    region: regionOfDataset ?? region,
    world: scenario.world,
    fates: scenario.fates,
    faults: scenario.faults,
    eventBusFailures: scenario.eventBusFailures,
    redrive: args.redrive,
    outDir,
    handlerLogLevel: args.logs ? 'INFO' : 'SILENT',
    onProgress: args.json
      ? undefined
      : (p) =>
          console.log(
            `[+${duration(p.simSeconds).padStart(7)}] ${(p.exportName ?? 'run').padEnd(18)} ${p.text}`,
          ),
  });
  if (args.json) console.log(JSON.stringify({ scenario: args.scenario, input, ...result }, null, 2));
  else printSummary(result, path.relative(process.cwd(), outDir) || '.');
  // Exit 0 whatever the execution's status: a failed export in a fault scenario is the run working.
}

main().catch((err: unknown) => {
  console.error(`simulate: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
