/**
 * The local run as one call: synthesize the app (or take a cloud assembly), build the scenario from the
 * exports it was configured with, and run it (local/run.ts) in a folder of its own. `npm run simulate`
 * (local/cli.ts) is this call plus its options and what it prints; the end-to-end tests call it in
 * process.
 */
import * as path from 'node:path';
import {
  configuredExports,
  configuredQuotas,
  LOCAL_ACCOUNT,
  loadAssembly,
  synthesizedPlace,
  type StackPlace,
} from './assembly';
import { executionNameProblem, LocalRunRefused } from './limits';
import { claimRunFolder } from './run-folder';
import { defaultExecutionName, runLocal, type LocalRunResult, type ProgressLine } from './run';
import { buildScenario, SCENARIO_NAMES, type ScenarioPlan } from './scenarios';
import { synthesize } from './synth';

/** How deeply the local run lets input nest: aws-local-stepfunctions recurses through it. */
export const MAX_LOCAL_NESTING = 1_000;

export interface SimulateOptions {
  /** What the services do (local/scenarios.ts). @default 'happy' */
  readonly scenario?: string;
  /** The execution input, as pasted in the console. @default - the scenario's, or {} */
  readonly input?: unknown;
  /** @default - `local-<start time>-<random>` */
  readonly executionName?: string;
  /** Simulated start of the execution. @default now */
  readonly startTime?: Date;
  /** @default 600 */
  readonly glueJobSeconds?: number;
  /** @default 1500 */
  readonly personalizeJobSeconds?: number;
  /** Glue ML task runs the account runs at once. @default - the configured maxConcurrentGlueExports */
  readonly glueQuota?: number;
  /** Unfinished Personalize jobs the account allows. @default - the configured maxConcurrentPersonalizeExports */
  readonly personalizeQuota?: number;
  /**
   * The configuration file to synthesize.
   * @default - the one cdk.json names, unless `assemblyDir` is given
   */
  readonly configFile?: string;
  /**
   * A cloud assembly to run as it is; with `configFile`, where to synthesize it.
   * @default - the app is synthesized into `<run folder>/cdk.out`
   */
  readonly assemblyDir?: string;
  /** Where each run's folder goes (`<outDir>/<execution name>/`). @default '.sim-out' */
  readonly outDir?: string;
  /** Redrive a failed (or stopped) execution once, where it ended. @default false */
  readonly redrive?: boolean;
  /** Stop the execution (StopExecution) at this simulated second. @default - it runs to its end */
  readonly stopAfterSeconds?: number;
  /** Time the execution out (as the state machine's timeout would) at this simulated second. @default - none */
  readonly timeOutAfterSeconds?: number;
  /**
   * A configuration deployed by the time the run ends: synthesized into `<run folder>/cdk.out-cleanup`,
   * its clean-up function handles the ended run.
   * @default - the configuration that ran
   */
  readonly cleanupConfigFile?: string;
  /** @default 'SILENT' */
  readonly handlerLogLevel?: string;
  readonly onProgress?: (line: ProgressLine) => void;
  /** Called when the app has been synthesized, before the run. */
  readonly onSynthesized?: (synth: { assemblyDir: string; configFile?: string; seconds: number }) => void;
  /** Called with the scenario and the input, before the run. */
  readonly onStart?: (scenario: ScenarioPlan, input: unknown) => void;
}

/** What `npm run simulate -- --json` prints. */
export type SimulationResult = LocalRunResult & {
  readonly scenario: string;
  readonly input: unknown;
  /** The cloud assembly that ran. */
  readonly assemblyDir: string;
};

/**
 * The command's exit status for a run: 0 when the execution SUCCEEDED and AWS would have allowed every
 * request (and every check on the template), 1 otherwise.
 */
export function exitStatus(result: LocalRunResult): 0 | 1 {
  const denied =
    result.permissions.denied.length > 0 ||
    (result.cleanups ?? []).some((c) => (c.permissions?.denied.length ?? 0) > 0);
  return result.status === 'SUCCEEDED' && !denied ? 0 : 1;
}

/** Throws LocalRunRefused for what a user must change (a name, a file, a configuration, an input). */
export async function simulate(options: SimulateOptions = {}): Promise<SimulationResult> {
  const scenarioName = options.scenario ?? 'happy';
  if (!SCENARIO_NAMES.includes(scenarioName))
    throw new LocalRunRefused(
      `--scenario: unknown scenario "${scenarioName}"; expected one of ${SCENARIO_NAMES.join(', ')}`,
    );
  if (options.executionName !== undefined) {
    const problem = executionNameProblem(options.executionName);
    if (problem) throw new LocalRunRefused(`--name: ${problem}`);
  }
  if (options.input !== undefined && nestingDepth(options.input) > MAX_LOCAL_NESTING)
    throw new LocalRunRefused(
      `the input is nested more than ${MAX_LOCAL_NESTING} levels deep, more than the local run can execute ` +
        '(AWS decides for itself what it accepts)',
    );
  const startTime = options.startTime ?? new Date();
  const executionName = options.executionName ?? defaultExecutionName(startTime.getTime());
  const folder = claimRunFolder(options.outDir ?? '.sim-out', executionName);
  try {
    const assemblyDir = prepareAssembly(options, folder.dir);
    const synthesized = synthesizedPlace(assemblyDir);
    const assembly = loadAssembly(assemblyDir, synthesized.region ?? 'us-east-1', synthesized.account);
    const configured = configuredExports(assembly);
    const place = deploymentPlace(synthesized, configured);
    const scenario = buildScenarioOrRefuse(scenarioName, {
      configured,
      glueJobSeconds: options.glueJobSeconds ?? 600,
      personalizeJobSeconds: options.personalizeJobSeconds ?? 1500,
      quotas: {
        ...configuredQuotas(assembly),
        ...(options.glueQuota !== undefined ? { glueTaskRunsPerAccount: options.glueQuota } : {}),
        ...(options.personalizeQuota !== undefined
          ? { personalizeExportJobs: options.personalizeQuota }
          : {}),
      },
    });
    const input = options.input !== undefined ? options.input : (scenario.input ?? {});
    const cleanupAssemblyDir = options.cleanupConfigFile
      ? prepareAssembly(
          { configFile: options.cleanupConfigFile, assemblyDir: path.join(folder.dir, 'cdk.out-cleanup') },
          folder.dir,
        )
      : undefined;
    options.onStart?.(scenario, input);
    const result = await runLocal({
      assemblyDir,
      input,
      executionName,
      startTime,
      region: place.region,
      account: place.account,
      world: scenario.world,
      fates: scenario.fates,
      faults: scenario.faults,
      eventBusFailures: scenario.eventBusFailures,
      redrive: options.redrive,
      // The scenario's stop, unless the user says when (or how) to stop.
      ...stopOf(
        options.stopAfterSeconds === undefined && options.timeOutAfterSeconds === undefined
          ? { stopAfterSeconds: scenario.stopAfterSeconds }
          : options,
      ),
      ...(cleanupAssemblyDir ? { cleanupAssemblyDir } : {}),
      outDir: path.dirname(folder.dir),
      runFolder: folder,
      handlerLogLevel: options.handlerLogLevel,
      onProgress: options.onProgress,
    });
    return { scenario: scenarioName, input, assemblyDir, ...result };
  } finally {
    folder.release();
  }
}

/**
 * Where the stack is deployed: where it was synthesized for, else where its configured datasets are (an
 * environment-agnostic stack is deployed where its resources are; IAM does not pass a role, nor
 * Personalize export a dataset, across accounts), else the local default.
 */
function deploymentPlace(synthesized: Partial<StackPlace>, configured: Record<string, string>[]): StackPlace {
  const [, , , region, account] =
    configured.find((e) => e.type === 'personalize')?.datasetArn?.split(':') ?? [];
  return {
    region: synthesized.region ?? region ?? 'us-east-1',
    account: synthesized.account ?? account ?? LOCAL_ACCOUNT,
  };
}

/** When to stop the run, and how, from the options (one of the two). */
function stopOf(options: SimulateOptions): {
  stop?: { afterSeconds: number; status: 'ABORTED' | 'TIMED_OUT' };
} {
  if (options.stopAfterSeconds !== undefined && options.timeOutAfterSeconds !== undefined)
    throw new LocalRunRefused('--stop-after and --time-out-after: give one of them, not both');
  if (options.stopAfterSeconds !== undefined)
    return { stop: { afterSeconds: options.stopAfterSeconds, status: 'ABORTED' } };
  if (options.timeOutAfterSeconds !== undefined)
    return { stop: { afterSeconds: options.timeOutAfterSeconds, status: 'TIMED_OUT' } };
  return {};
}

/** The cloud assembly to run: the one given, or the app synthesized now. */
function prepareAssembly(
  options: Pick<SimulateOptions, 'assemblyDir' | 'configFile' | 'onSynthesized'>,
  runDir: string,
): string {
  if (options.assemblyDir && !options.configFile) return path.resolve(options.assemblyDir);
  const dir = options.assemblyDir ? path.resolve(options.assemblyDir) : path.join(runDir, 'cdk.out');
  const started = Date.now();
  try {
    synthesize(dir, options.configFile && path.resolve(options.configFile));
  } catch (err) {
    if (err instanceof LocalRunRefused) throw err;
    throw new LocalRunRefused(
      `synth of ${options.configFile ?? 'the default configuration'} failed (the reason is above)`,
      (err as Error).message,
    );
  }
  options.onSynthesized?.({
    assemblyDir: dir,
    configFile: options.configFile,
    seconds: (Date.now() - started) / 1000,
  });
  return dir;
}

function buildScenarioOrRefuse(name: string, ctx: Parameters<typeof buildScenario>[1]): ScenarioPlan {
  try {
    return buildScenario(name, ctx);
  } catch (err) {
    throw new LocalRunRefused((err as Error).message);
  }
}

/** How deeply arrays and objects nest in a JSON value (iteratively: the value may be very deep). */
export function nestingDepth(value: unknown): number {
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
