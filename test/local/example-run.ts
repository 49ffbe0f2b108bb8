/**
 * The example deployment that most of test/local reads, built once per Jest run however many test files
 * read it: the cloud assembly, synthesized by the local run's own `--config config/example.json` (as a
 * user would, and checked as such by cli.test.ts), and one run of every named scenario on it. Likewise the
 * deployment with every optional resource (config/all-options.json), synthesized in process, and one run
 * of every scenario on it.
 *
 * The first test file that needs one of them builds it and keeps it under `.test-out/fixtures/`, marked
 * with the run's name (test/global-setup.cjs); the other files of the same run read it from there, and a
 * later run builds it afresh. A lock folder keeps parallel workers from building it twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCENARIO_NAMES } from '../../local/scenarios';
import {
  cli,
  ROOT,
  simulate as runSimulator,
  synthesize,
  type CliRun,
  type SimulationResult,
} from './simulator';

export const WORK = path.join(ROOT, '.test-out');
/** The CLI tests' folder, where the example is synthesized. */
export const CLI_WORK = path.join(WORK, 'cli');
/** Where `--config config/example.json --assembly <ASSEMBLY>` synthesizes the example. */
export const ASSEMBLY = path.join(CLI_WORK, 'cdk.out-example');
export const START = '2026-11-22T03:00:00.000Z';
/** The example configuration's exports. */
export const EXPORTS = ['customer-matches', 'interactions'];
/** Time for a beforeAll that may build the assembly and run every scenario (about a minute on 2 cores). */
export const BUILD_TIMEOUT_MS = 300_000;

const FIXTURES = path.join(WORK, 'fixtures');
/** This Jest run; without the global setup (another configuration), this process. */
const RUN = process.env.ML_EXPORTS_TEST_RUN ?? `process-${process.pid}`;

/**
 * `--config config/example.json --assembly <ASSEMBLY> --out <CLI_WORK> --json --name from-config`, by the
 * command itself: synthesizes the example.
 */
export function exampleAssembly(): Promise<CliRun> {
  return shared('example-assembly', async () => {
    // Only this folder: the other local-run test files write beside it.
    fs.rmSync(CLI_WORK, { recursive: true, force: true });
    fs.mkdirSync(CLI_WORK, { recursive: true });
    const configRun = await cli([
      '--config',
      'config/example.json',
      '--assembly',
      ASSEMBLY,
      '--out',
      CLI_WORK,
      '--json',
      '--name',
      'from-config',
    ]);
    if (configRun.code !== 0)
      throw new Error(`simulate --config failed (${configRun.code}): ${configRun.stderr}`);
    return configRun;
  });
}

/** Where config/all-options.json is synthesized. */
export const ALL_OPTIONS_ASSEMBLY = path.join(WORK, 'all-options', 'cdk.out');

/** config/all-options.json synthesized in this process (as `--config` would), once per Jest run. */
export function allOptionsAssembly(): Promise<string> {
  return shared('all-options-assembly', async () => {
    synthesize(ALL_OPTIONS_ASSEMBLY, path.join(ROOT, 'config', 'all-options.json'));
    return ALL_OPTIONS_ASSEMBLY;
  });
}

/** A run of the all-options assembly, named `all-<name>`, writing under `.test-out/all-<name>`. */
export function simulateAllOptions(
  name: string,
  extra: string[] = [],
  scenario = name,
): Promise<SimulationResult> {
  const out = path.join(WORK, `all-${name}`);
  fs.rmSync(out, { recursive: true, force: true });
  return runSimulator([
    '--assembly',
    ALL_OPTIONS_ASSEMBLY,
    '--out',
    out,
    '--name',
    `all-${name}`,
    '--start-time',
    START,
    '--scenario',
    scenario,
    ...extra,
  ]);
}

/** Every named scenario's run of a deployment, by scenario name. */
export interface ScenarioResults {
  readonly all: ReadonlyMap<string, SimulationResult>;
  /** One scenario's result; throws when it did not run. */
  run(name: string): SimulationResult;
}

/** The deployments whose every scenario the tests run. */
export type Deployment = 'example' | 'all-options';

/** The scenario results for a test file: built (or read) before its tests, as one beforeAll. */
export function useScenarioResults(deployment: Deployment = 'example'): ScenarioResults {
  let results: ScenarioResults | undefined;
  beforeAll(async () => {
    results = await scenarioResults(deployment);
  }, BUILD_TIMEOUT_MS);
  const ready = () => {
    if (!results) throw new Error('the scenario results are not built yet (used outside a test?)');
    return results;
  };
  return {
    get all() {
      return ready().all;
    },
    run: (name) => ready().run(name),
  };
}

export async function scenarioResults(deployment: Deployment = 'example'): Promise<ScenarioResults> {
  const byName = await shared(`scenario-results-${deployment}`, async () => {
    if (deployment === 'example') await exampleAssembly();
    else await allOptionsAssembly();
    const results: Record<string, SimulationResult> = {};
    // In this process, one after another (local runs share the simulated clock).
    for (const name of SCENARIO_NAMES)
      results[name] = deployment === 'example' ? await simulate(name) : await simulateAllOptions(name);
    return results;
  });
  const all = new Map(Object.entries(byName));
  return {
    all,
    run: (name) => {
      const result = all.get(name);
      if (!result) throw new Error(`scenario ${name} did not run on the ${deployment} deployment`);
      return result;
    },
  };
}

/** A run of the example assembly, named `e2e-<name>`, writing under `.test-out/sim-<name>`. */
export function simulate(name: string, extra: string[] = [], scenario = name): Promise<SimulationResult> {
  const out = path.join(WORK, `sim-${name}`);
  fs.rmSync(out, { recursive: true, force: true });
  return runSimulator([
    '--assembly',
    ASSEMBLY,
    '--out',
    out,
    '--name',
    `e2e-${name}`,
    '--start-time',
    START,
    '--scenario',
    scenario,
    ...extra,
  ]);
}

export const exportEvents = (r: SimulationResult) =>
  r.events.filter((e) => e.event.detail.exportName !== undefined);
export const runEvents = (r: SimulationResult) =>
  r.events.filter((e) => e.event.detail.exportName === undefined);
export const outcomeOf = (r: SimulationResult, name: string) =>
  exportEvents(r).find((e) => e.event.detail.exportName === name)?.event;

interface Kept<T> {
  readonly run: string;
  readonly value?: T;
  readonly error?: string;
}

/**
 * The value `build` made in this Jest run, kept as JSON under `.test-out/fixtures/<name>.json`; built
 * here when no test file of this run has built it yet, else read (or waited for, while another worker
 * builds it).
 */
async function shared<T>(name: string, build: () => Promise<T>): Promise<T> {
  const file = path.join(FIXTURES, `${name}.json`);
  const lock = path.join(FIXTURES, `${name}.${RUN}.lock`);
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  fs.mkdirSync(FIXTURES, { recursive: true });
  for (;;) {
    const kept = readKept<T>(file);
    if (kept?.error !== undefined) throw new Error(`${name} failed to build in this run: ${kept.error}`);
    if (kept) return kept.value as T;
    if (tryLock(lock)) break;
    if (Date.now() > deadline) throw new Error(`${name} was still being built after ${BUILD_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  try {
    const value = await build();
    keep(file, { run: RUN, value });
    return value;
  } catch (err) {
    keep(file, { run: RUN, error: String(err) });
    throw err;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** What this run kept in `file`; undefined when there is none yet (or only an earlier run's). */
function readKept<T>(file: string): Kept<T> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as Kept<T>;
  return kept.run === RUN ? kept : undefined;
}

/** Written whole or not at all, so that a reader never sees half of it. */
function keep<T>(file: string, kept: Kept<T>): void {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(kept));
  fs.renameSync(`${file}.tmp`, file);
}

/** True when this process now holds the lock (creating a folder is atomic). */
function tryLock(lock: string): boolean {
  try {
    fs.mkdirSync(lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
