/**
 * `npm run simulate [-- options]`: synthesizes the app (or takes a cloud assembly), runs the synthesized
 * workflow offline (see local/run.ts) and shows what happened: each step as it goes, every event as
 * EventBridge would receive it, and a summary. Exit status: 0 SUCCEEDED, 1 FAILED, 2 usage error, 3 broken.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { configuredExports, configuredQuotas, loadAssembly } from './assembly';
import { executionNameProblem, LocalRunRefused, MAX_PAYLOAD_BYTES, payloadBytes } from './limits';
import { runLocal } from './run';
import { buildScenario, describeScenarios, SCENARIO_NAMES } from './scenarios';
import { duration, printSummary } from './summary';
import { synthesize } from './synth';

const USAGE = `Usage: npm run simulate -- [options]
       npm run --silent simulate -- --json [options]   (--silent keeps npm's banner off stdout)

Synthesizes the app with the CDK CLI (config/example.json into cdk.out, unless told otherwise), then runs
the state machine and Lambda bundles of that cloud assembly offline, against local stand-ins for Glue and
Personalize, on a simulated clock.

Options:
  --scenario NAME             what the services do (default: happy); see the list below
  --input FILE                execution input, as pasted in the Step Functions console (default: {})
  --name NAME                 execution name, as Step Functions accepts it (default: local-<timestamp>)
  --start-time ISO            simulated start of the execution (default: now)
  --glue-job-seconds N        how long a Glue export task run takes (default: 600)
  --personalize-job-seconds N how long a Personalize export job takes (default: 1500)
  --glue-quota N              Glue ML task runs the account may run at once (default: the configured
                              maxConcurrentGlueExports); more are refused, and the export waits for capacity
  --personalize-quota N       unfinished Personalize export jobs the account allows (default: the configured
                              maxConcurrentPersonalizeExports); busy-account and over-quota set their own
  --config FILE               synthesize this configuration file and run it (into <out>/cdk.out-<file
                              name>, or into --assembly DIR)
  --assembly DIR              run this existing cloud assembly, without synthesizing (with --config: where
                              to synthesize it)
  --out DIR                   where each run writes its files, under DIR/<execution name> (default: .sim-out)
  --json                      print one JSON document with the whole result on stdout, all else on stderr
  --output FILE               also write that JSON document to FILE
  --redrive                   if the execution fails, redrive it once where it failed, as from the console
  --logs                      show the handlers' own log lines
  --no-states                 do not show each state entered, only tasks, checks and events
  --verbose                   show the CDK CLI's and the bundler's output while synthesizing
  --help                      this text

Exit status: 0 when the execution SUCCEEDED, 1 when it FAILED, 2 for a usage error (a bad option, file,
name or configuration), 3 if the local run itself broke.

Scenarios:
${describeScenarios()}
`;

const MAX_LOCAL_NESTING = 1_000;

/** How deeply arrays and objects nest in a JSON value (iteratively: the value may be very deep). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v as object)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A usage error: one line on stderr, exit status 2. */
function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n`);
  process.exit(2);
}

/** A whole number of at least 1 given to `flag` (of `unit`, as the message says), or a usage error. */
function count(value: string, flag: string, unit = ''): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    fail(`${flag} must be a whole number${unit} of at least 1; got "${value}"`);
  return n;
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  return value === undefined ? fallback : count(value, flag, ' of seconds');
}

function parse() {
  try {
    return parseArgs({
      options: {
        scenario: { type: 'string', default: 'happy' },
        input: { type: 'string' },
        name: { type: 'string' },
        'start-time': { type: 'string' },
        'glue-job-seconds': { type: 'string' },
        'personalize-job-seconds': { type: 'string' },
        'glue-quota': { type: 'string' },
        'personalize-quota': { type: 'string' },
        config: { type: 'string' },
        assembly: { type: 'string' },
        out: { type: 'string', default: '.sim-out' },
        json: { type: 'boolean', default: false },
        output: { type: 'string' },
        logs: { type: 'boolean', default: false },
        redrive: { type: 'boolean', default: false },
        'no-states': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${(err as Error).message} (--help lists the options)`);
  }
}

/** Synthesizes what the options ask for and returns the cloud assembly to run. */
function prepareAssembly(args: ReturnType<typeof parse>, outDir: string): string {
  if (args.assembly && !args.config) {
    const dir = path.resolve(args.assembly);
    if (!fs.existsSync(path.join(dir, 'manifest.json')))
      fail(
        `--assembly ${args.assembly}: no cloud assembly there (no manifest.json); --config FILE synthesizes one`,
      );
    return dir;
  }
  let configFile: string | undefined;
  let dir = path.resolve('cdk.out');
  if (args.config) {
    configFile = path.resolve(args.config);
    if (!fs.statSync(configFile, { throwIfNoEntry: false })?.isFile())
      fail(`--config ${args.config}: no such file`);
    dir = args.assembly
      ? path.resolve(args.assembly)
      : path.join(outDir, `cdk.out-${path.basename(configFile).replace(/\.json$/i, '')}`);
  }
  const started = Date.now();
  try {
    synthesize(dir, configFile, { verbose: args.verbose });
  } catch (err) {
    const output = String((err as { output?: string }).output ?? '')
      .split('\n')
      .filter((l) => l.trim() && !/^npm warn /.test(l))
      .join('\n');
    process.stderr.write(`${output}\n`);
    fail(`cdk synth of ${args.config ?? 'the default configuration'} failed (its output is above)`);
  }
  console.log(
    `Synthesized ${configFile ? path.relative(process.cwd(), configFile) : 'the app'} into ` +
      `${path.relative(process.cwd(), dir) || '.'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return dir;
}

async function main(): Promise<number> {
  const args = parse();
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // With --json, stdout carries the one JSON document: everything else, handler logs included, goes to stderr.
  const writeStdout = process.stdout.write.bind(process.stdout);
  if (args.json)
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

  if (!SCENARIO_NAMES.includes(args.scenario!))
    fail(`--scenario: unknown scenario "${args.scenario}"; expected one of ${SCENARIO_NAMES.join(', ')}`);
  if (args.name !== undefined) {
    const problem = executionNameProblem(args.name);
    if (problem) fail(`--name: ${problem}`);
  }
  const startTime = args['start-time'] ? new Date(args['start-time']) : new Date();
  if (Number.isNaN(startTime.getTime()))
    fail(`--start-time must be an ISO date such as 2026-01-31T03:00:00Z; got "${args['start-time']}"`);
  const glueJobSeconds = positiveInt(args['glue-job-seconds'], '--glue-job-seconds', 600);
  const personalizeJobSeconds = positiveInt(
    args['personalize-job-seconds'],
    '--personalize-job-seconds',
    1500,
  );
  let input: unknown;
  if (args.input) {
    try {
      input = JSON.parse(fs.readFileSync(args.input, 'utf8'));
    } catch (err) {
      fail(`cannot read --input ${args.input}: ${(err as Error).message.split('\n')[0]}`);
    }
    // aws-local-stepfunctions never starts an execution whose input is nested a few thousand levels deep
    // (it recurses through it): refuse it here rather than hang.
    if (nestingDepth(input) > MAX_LOCAL_NESTING)
      fail(
        `--input ${args.input} is nested more than ${MAX_LOCAL_NESTING} levels deep, more than the local ` +
          'run can execute (AWS decides for itself what it accepts)',
      );
    const bytes = payloadBytes(input);
    if (bytes > MAX_PAYLOAD_BYTES)
      fail(
        `--input ${args.input} is ${bytes.toLocaleString('en-US')} bytes; Step Functions accepts execution ` +
          `input of at most ${MAX_PAYLOAD_BYTES.toLocaleString('en-US')} bytes`,
      );
  }
  const outDir = path.resolve(args.out!);
  const assemblyDir = prepareAssembly(args, outDir);
  const region = 'us-east-1';
  const assembly = loadAssembly(assemblyDir, region);
  const configured = configuredExports(assembly);
  const regionOfDataset = configured.find((e) => e.type === 'personalize')?.datasetArn?.split(':')[3];
  let scenario;
  try {
    scenario = buildScenario(args.scenario!, {
      configured,
      glueJobSeconds,
      personalizeJobSeconds,
      quotas: {
        ...configuredQuotas(assembly),
        ...(args['glue-quota'] !== undefined
          ? { glueTaskRunsPerAccount: count(args['glue-quota'], '--glue-quota') }
          : {}),
        ...(args['personalize-quota'] !== undefined
          ? { personalizeExportJobs: count(args['personalize-quota'], '--personalize-quota') }
          : {}),
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  // An --input file may hold null, which is input too (and rejected as such).
  if (!args.input) input = scenario.input ?? {};
  console.log(`Scenario "${args.scenario}": ${scenario.description}`);
  const inputText = JSON.stringify(input);
  console.log(
    `Input: ${inputText.length > 200 ? `${inputText.slice(0, 197)}... (${payloadBytes(input).toLocaleString('en-US')} bytes)` : inputText}\n`,
  );
  const showStates = !args['no-states'];
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
    onProgress: (p) => {
      if (args.json || (p.kind === 'state' && !showStates)) return;
      console.log(`[+${duration(p.simSeconds).padStart(7)}] ${(p.exportName ?? 'run').padEnd(18)} ${p.text}`);
    },
  });
  const document = `${JSON.stringify({ scenario: args.scenario, input, ...result }, null, 2)}\n`;
  if (args.output) fs.writeFileSync(args.output, document);
  if (args.json) writeStdout(document);
  else printSummary(result, path.relative(process.cwd(), result.runDir) || '.');
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    if (err instanceof LocalRunRefused) fail(err.message);
    process.stderr.write(`simulate: the local run broke: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 3;
  },
);
