/**
 * `npm run bench [-- --write] [-- --exports N]`: what polling costs. Runs one Glue export of 1 minute,
 * 15 minutes, 1 hour and 6 hours through the local simulator, with the configured backoff and with a
 * fixed 30-second poller synthesized from the same app, and prints state transitions, Lambda invocations,
 * history events and detection lag side by side; then each function's bundle size and module
 * initialisation time; then one run of N exports (default 2,000) with mixed outcomes: history per
 * execution, the largest state payload, and one terminal event per export.
 * `--write` also writes the tables to BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configuredExports, configuredQuotas, loadAssembly } from './assembly';
import { runLocal, type LocalRunResult } from './run';
import { buildScenario, manyExportsConfig } from './scenarios';
import { ROOT, synthesize } from './synth';

const DURATIONS = [60, 900, 3600, 21_600];
const TRANSFORM_ID = 'tfm-bench0000000000000000000000000000';

function synth(outDir: string, configuration: unknown): string {
  const config = path.join(outDir, 'config.json');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(config, JSON.stringify(configuration));
  const assembly = path.join(outDir, 'cdk.out');
  synthesize(assembly, config);
  return assembly;
}

/**
 * The same assembly with the polling settings in its definition set to a fixed 30-second wait: the
 * baseline. (Synth refuses such settings for long exports, since their worst-case history could pass
 * the 25,000-event limit, so the baseline is made from the synthesized template instead.)
 */
function withFixedPolling(assembly: string, outDir: string): string {
  fs.cpSync(assembly, outDir, { recursive: true });
  const templateFile = fs.readdirSync(outDir).find((f) => f.endsWith('.template.json'))!;
  const file = path.join(outDir, templateFile);
  const text = fs.readFileSync(file, 'utf8');
  const patched = text.replace(
    /\\"polling\\":\{\\"initialWaitSeconds\\":30,\\"backoffRate\\":2,\\"maxWaitSeconds\\":360,/,
    '\\"polling\\":{\\"initialWaitSeconds\\":30,\\"backoffRate\\":1,\\"maxWaitSeconds\\":30,',
  );
  if (patched === text) throw new Error(`no default polling settings found in ${file}`);
  fs.writeFileSync(file, patched);
  return outDir;
}

export interface PollingCost {
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly historyEvents: number;
  readonly polls: number;
  readonly detectionLagSeconds: number;
}

/** The run's cost, with the lag between the job's end and the workflow's event about it. */
export function pollingCost(result: LocalRunResult): PollingCost {
  const exportEvent = result.events.find((e) => e.event.detail.exportName !== undefined);
  if (!exportEvent || exportEvent.event.detail.outcome !== 'SUCCEEDED') {
    throw new Error(`the bench export did not succeed: ${JSON.stringify(exportEvent?.event.detail)}`);
  }
  const ended = Date.parse(String(exportEvent.event.detail.completedAt));
  return {
    stateTransitions: result.counts.stateTransitions,
    lambdaInvocations: result.counts.lambdaInvocations,
    historyEvents: result.counts.historyEvents,
    polls: Number(exportEvent.event.detail.pollCount),
    detectionLagSeconds: Math.round((Date.parse(exportEvent.event.time) - ended) / 1000),
  };
}

async function measure(assembly: string, jobSeconds: number, outDir: string): Promise<PollingCost> {
  const result = await runLocal({
    assemblyDir: assembly,
    input: {},
    executionName: `bench-${jobSeconds}`,
    startTime: new Date('2026-01-05T00:00:00Z'),
    world: {
      transforms: [TRANSFORM_ID],
      datasets: [],
      glueJobSeconds: jobSeconds,
      personalizeJobSeconds: jobSeconds,
    },
    outDir,
  });
  return pollingCost(result);
}

function duration(seconds: number): string {
  return seconds >= 3600 ? `${seconds / 3600} h` : seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`;
}

function table(rows: (string | number)[][]): string {
  const [head, ...body] = rows.map((r) => r.map(String));
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Bundle size and the time `require` takes in a fresh Node.js process (the work done at cold start). */
function lambdaWeight(assembly: string): (string | number)[][] {
  const { functions } = loadAssembly(assembly, 'us-east-1');
  return [...functions.values()].map((fn) => {
    const bytes = fs.statSync(fn.codeFile).size;
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(fn.codeFile)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
    const samples = [0, 1, 2].map(() =>
      Number(
        execFileSync(process.execPath, ['-e', script], { env: { ...process.env, AWS_REGION: 'us-east-1' } })
          .toString()
          .trim(),
      ),
    );
    const name = fn.logicalId.replace(/^Workflow/, '').replace(/[0-9A-F]{8}$/, '');
    return [name, `${(bytes / 1024).toFixed(0)} KiB`, `${Math.min(...samples).toFixed(1)} ms`];
  });
}

const SCALE_CONCURRENCY = 1000;

/** One run of `count` exports: what grows with the number of exports, and what must not. */
async function scaleRun(count: number, outDir: string): Promise<string> {
  const glue = Math.round(count * 0.6);
  const assembly = synth(
    outDir,
    manyExportsConfig({ glue, personalize: count - glue, maxConcurrency: SCALE_CONCURRENCY }),
  );
  const loaded = loadAssembly(assembly, 'us-east-1');
  const scenario = buildScenario('mixed-outcomes', {
    configured: configuredExports(loaded),
    quotas: configuredQuotas(loaded),
    glueJobSeconds: 600,
    personalizeJobSeconds: 1500,
  });
  const started = performance.now();
  const result = await runLocal({
    assemblyDir: assembly,
    input: {},
    executionName: 'scale',
    startTime: new Date('2026-01-05T00:00:00Z'),
    world: scenario.world,
    fates: scenario.fates,
    outDir: path.join(outDir, 'sim'),
  });
  const realSeconds = (performance.now() - started) / 1000;
  const perExport = new Map<string, number>();
  for (const e of result.events) {
    const name = e.event.detail.exportName;
    if (typeof name === 'string') perExport.set(name, (perExport.get(name) ?? 0) + 1);
  }
  const exactlyOne = [...perExport.values()].filter((n) => n === 1).length;
  const runEvent = result.events[result.events.length - 1].event.detail;
  const c = result.counts;
  return table([
    ['measure', 'value'],
    ['exports / terminal events, exactly one each', `${count} / ${exactlyOne}`],
    ['jobs started (Glue + Personalize)', `${c.glueTaskRunsStarted} + ${c.personalizeJobsCreated}`],
    [
      'run event: succeeded / failed / timed out',
      `${runEvent.succeeded} / ${runEvent.failed} / ${runEvent.timedOut}`,
    ],
    ['state transitions (per export)', `${c.stateTransitions} (${(c.stateTransitions / count).toFixed(1)})`],
    ['Lambda invocations', c.lambdaInvocations],
    ['history events: run execution', c.runHistoryEvents],
    ['history events: largest export execution', c.largestExportHistoryEvents],
    ['largest state input (limit 262,144 bytes)', `${c.largestStateInputBytes} bytes`],
    [
      'simulated time / real time',
      `${(result.simulatedSeconds / 3600).toFixed(1)} h / ${realSeconds.toFixed(0)} s`,
    ],
  ]);
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const exportsArg = process.argv.indexOf('--exports');
  const exportCount = exportsArg > 0 ? Number(process.argv[exportsArg + 1]) : 2000;
  if (!Number.isInteger(exportCount) || exportCount < 10) {
    throw new Error(`--exports must be a whole number of at least 10; got ${process.argv[exportsArg + 1]}`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-bench-'));
  console.log('Synthesizing, and deriving the fixed 30-second poller from the same assembly...');
  const backoff = synth(path.join(work, 'backoff'), {
    // 8 hours: room for the 6-hour job.
    polling: { maxExportSeconds: 28_800 },
    glueExports: [{ name: 'bench', transformId: TRANSFORM_ID, outputS3Prefix: 's3://bench-bucket/labels/' }],
  });
  const fixed = withFixedPolling(backoff, path.join(work, 'fixed', 'cdk.out'));

  const rows: (string | number)[][] = [
    [
      'job',
      'transitions (backoff / fixed 30 s)',
      'ratio',
      'Lambda invocations',
      'history events',
      'status checks',
      'detection lag (backoff / fixed)',
      'lag target (jobs of 1 h or more)',
    ],
  ];
  for (const seconds of DURATIONS) {
    const ours = await measure(backoff, seconds, path.join(work, `out-b-${seconds}`));
    const base = await measure(fixed, seconds, path.join(work, `out-f-${seconds}`));
    rows.push([
      duration(seconds),
      `${ours.stateTransitions} / ${base.stateTransitions}`,
      `${(base.stateTransitions / ours.stateTransitions).toFixed(1)}x`,
      `${ours.lambdaInvocations} / ${base.lambdaInvocations}`,
      `${ours.historyEvents} / ${base.historyEvents}`,
      `${ours.polls} / ${base.polls}`,
      `${ours.detectionLagSeconds} s / ${base.detectionLagSeconds} s`,
      // The targets hold for jobs of an hour or more: >= 7x fewer transitions, lag <= max(60 s, 10%).
      seconds >= 3600 ? `<= ${Math.max(60, seconds / 10)} s` : '-',
    ]);
    console.log(`  ${duration(seconds)} done`);
  }
  const costTable = table(rows);
  const weightTable = table([['function', 'bundle', 'module init (min of 3)'], ...lambdaWeight(backoff)]);
  const text = [
    '## Cost of polling',
    '',
    'One Glue export, default polling (30 s growing x2 to a 6-minute cap) against a fixed 30-second poller,',
    'both synthesized from this app and run through the local simulator. Counts are for the whole',
    'execution (run and export). History events are estimated from the states entered, as Step Functions',
    'records them. Detection lag: from the end of the job to the export event.',
    '',
    costTable,
    '',
    '## Lambda weight',
    '',
    'Bundled, minified handlers (AWS SDK clients included, tree-shaken) and the time `require` takes in a',
    `fresh Node.js ${process.version} process on this machine (${os.cpus().length} cores).`,
    '',
    weightTable,
    '',
    '## A run of thousands of exports',
    '',
    `One run of ${exportCount} configured exports (60% Glue, 40% Personalize over 8 datasets), ${SCALE_CONCURRENCY} at a`,
    'time, with the `mixed-outcomes` scenario (some jobs fail, are stopped or never finish and time out at',
    'the 2-hour limit). History events are estimated per execution from the states entered.',
    '',
    await scaleRun(exportCount, path.join(work, 'scale')),
    '',
  ].join('\n');
  console.log(`\n${text}`);
  if (write) {
    fs.writeFileSync(
      path.join(ROOT, 'BENCHMARKS.md'),
      `# Benchmarks\n\nRegenerate with \`npm run bench -- --write\`.\n\n${text}`,
    );
    console.log('Wrote BENCHMARKS.md');
  }
  fs.rmSync(work, { recursive: true, force: true });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  });
}
