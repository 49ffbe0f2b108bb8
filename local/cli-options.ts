/**
 * The options of `npm run simulate`, read into the runner's options (local/simulate.ts) and checked before
 * anything runs: a problem is a LocalRunRefused, which the CLI prints in one line with exit status 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRunRefused, MAX_PAYLOAD_BYTES, payloadBytes } from './limits';
import { describeScenarios } from './scenarios';
import { MAX_LOCAL_NESTING, nestingDepth, type SimulateOptions } from './simulate';

export const USAGE = `Usage: npm run simulate -- [options]
       npm run --silent simulate -- --json [options]   (--silent keeps npm's banner off stdout)

Synthesizes the app (the configuration cdk.json names, config/example.json, unless told otherwise) into
the run's own folder, then runs the state machine and Lambda bundles of that cloud assembly offline,
against local stand-ins for Glue and Personalize, on a simulated clock.

Options:
  --scenario NAME             what the services do (default: happy); see the list below
  --input FILE                execution input, as pasted in the Step Functions console (default: {})
  --name NAME                 execution name, as Step Functions accepts it (default:
                              local-<timestamp>-<random>)
  --start-time ISO            simulated start of the execution, e.g. 2026-01-31T03:00:00Z (default: now)
  --glue-job-seconds N        how long a Glue export task run takes (default: 600)
  --personalize-job-seconds N how long a Personalize export job takes (default: 1500)
  --glue-quota N              Glue ML task runs the account may run at once (default: the configured
                              maxConcurrentGlueExports); more are refused, and the export waits for capacity
  --personalize-quota N       unfinished Personalize export jobs the account allows (default: the configured
                              maxConcurrentPersonalizeExports); busy-account and over-quota set their own
  --config FILE               synthesize this configuration file and run it (into <out>/<name>/cdk.out,
                              or into --assembly DIR)
  --assembly DIR              run this existing cloud assembly, without synthesizing (with --config: where
                              to synthesize it)
  --out DIR                   where each run writes its files, under DIR/<execution name>, a folder no
                              other run shares (default: .sim-out)
  --json                      print one JSON document with the whole result on stdout, all else on stderr
  --output FILE               also write that JSON document to FILE (checked before the run)
  --redrive                   if the execution fails (or is stopped), redrive it once where it ended, as
                              from the console
  --stop-after N              stop the execution (StopExecution) N simulated seconds after it started; the
                              clean-up of the stopped run follows, as the deployed rule invokes it
  --time-out-after N          the same, as if the state machine's timeout were N seconds (TIMED_OUT)
  --cleanup-config FILE       the configuration deployed by the time the run ends: its clean-up handles it
  --logs                      show the handlers' own log lines
  --no-states                 do not show each state entered, only tasks, checks and events
  --help                      this text

Exit status: 0 when the execution SUCCEEDED and AWS would have allowed every request (the permissions
report says what was denied), 1 when it FAILED or was stopped or a request was denied, 2 for a usage error
(a bad option, file, name or configuration), 3 if the local run itself broke.

Scenarios:
${describeScenarios()}
`;

/** A usage error: one line on stderr, exit status 2. */
function fail(message: string): never {
  throw new LocalRunRefused(message);
}

/** A whole number of at least 1 given to `flag` (of `unit`, as the message says), or a usage error. */
function count(value: string | undefined, flag: string, unit = ''): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    fail(`${flag} must be a whole number${unit} of at least 1; got "${value}"`);
  return n;
}

/** An ISO 8601 date and time with a zone (`2026-01-31T03:00:00Z`), as --start-time takes it. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function startTime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!ISO_DATE_TIME.test(value) || Number.isNaN(date.getTime()))
    fail(
      `--start-time must be an ISO date and time with a zone, such as 2026-01-31T03:00:00Z; got "${value}"`,
    );
  return date;
}

/** Refuses an --output the run could not write at its end, before the run starts. */
function checkWritable(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isDirectory())
    fail(`--output ${file}: is a folder; expected a file to write the JSON document to`);
  const target = stat ? file : path.dirname(path.resolve(file));
  if (!stat && !fs.statSync(target, { throwIfNoEntry: false })?.isDirectory())
    fail(`--output ${file}: the folder ${target} does not exist`);
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch {
    fail(`--output ${file}: ${stat ? 'the file' : `the folder ${target}`} cannot be written`);
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
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
        'stop-after': { type: 'string' },
        'time-out-after': { type: 'string' },
        'cleanup-config': { type: 'string' },
        'no-states': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${(err as Error).message} (--help lists the options)`);
  }
}

/** The execution input in an --input file (which may hold null: that is input too). */
function readInput(file: string): unknown {
  let input: unknown;
  try {
    input = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    // The input itself, typed where its file was expected: say what --input takes.
    if (!fs.existsSync(file) && /^\s*[[{"]/.test(file)) {
      fail(
        `--input takes a file holding the execution input, and ${file.slice(0, 40)} is no file: write the JSON to a file (input.json) and give --input input.json`,
      );
    }
    fail(`cannot read --input ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const bytes = payloadBytes(input);
  if (bytes > MAX_PAYLOAD_BYTES)
    fail(
      `--input ${file} is ${bytes.toLocaleString('en-US')} bytes; Step Functions accepts execution ` +
        `input of at most ${MAX_PAYLOAD_BYTES.toLocaleString('en-US')} bytes`,
    );
  if (nestingDepth(input) > MAX_LOCAL_NESTING)
    fail(
      `--input ${file} is nested more than ${MAX_LOCAL_NESTING} levels deep, more than the local ` +
        'run can execute (AWS decides for itself what it accepts)',
    );
  return input;
}

/** What the command line asks for, beside the runner's options. */
export interface CliOptions {
  readonly simulate: SimulateOptions;
  readonly help: boolean;
  readonly json: boolean;
  readonly output?: string;
  readonly showStates: boolean;
}

/** Everything the command line says, checked before anything runs. Throws LocalRunRefused. */
export function cliOptions(argv: readonly string[]): CliOptions {
  const args = parse(argv);
  if (args.help) return { simulate: {}, help: true, json: false, showStates: true };
  return {
    simulate: runnerOptions(args),
    help: false,
    json: args.json!,
    output: args.output,
    showStates: !args['no-states'],
  };
}

function runnerOptions(args: ReturnType<typeof parse>): SimulateOptions {
  if (args.output !== undefined) checkWritable(args.output);
  if (args.config !== undefined && !fs.statSync(args.config, { throwIfNoEntry: false })?.isFile())
    fail(`--config ${args.config}: no such file`);
  if (args['stop-after'] !== undefined && args['time-out-after'] !== undefined)
    fail('--stop-after and --time-out-after: give one of them, not both');
  if (
    args['cleanup-config'] !== undefined &&
    !fs.statSync(args['cleanup-config'], { throwIfNoEntry: false })?.isFile()
  )
    fail(`--cleanup-config ${args['cleanup-config']}: no such file`);
  if (args.assembly !== undefined && args.config === undefined) {
    if (!fs.existsSync(path.join(args.assembly, 'manifest.json')))
      fail(
        `--assembly ${args.assembly}: no cloud assembly there (no manifest.json); --config FILE synthesizes one`,
      );
  }
  return {
    scenario: args.scenario,
    input: args.input !== undefined ? readInput(args.input) : undefined,
    executionName: args.name,
    startTime: startTime(args['start-time']),
    glueJobSeconds: count(args['glue-job-seconds'], '--glue-job-seconds', ' of seconds'),
    personalizeJobSeconds: count(args['personalize-job-seconds'], '--personalize-job-seconds', ' of seconds'),
    glueQuota: count(args['glue-quota'], '--glue-quota'),
    personalizeQuota: count(args['personalize-quota'], '--personalize-quota'),
    configFile: args.config,
    assemblyDir: args.assembly,
    outDir: args.out,
    redrive: args.redrive,
    stopAfterSeconds: count(args['stop-after'], '--stop-after', ' of seconds'),
    timeOutAfterSeconds: count(args['time-out-after'], '--time-out-after', ' of seconds'),
    cleanupConfigFile: args['cleanup-config'],
    handlerLogLevel: args.logs ? 'INFO' : 'SILENT',
  };
}
