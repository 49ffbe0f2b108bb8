/**
 * What each polling strategy costs and how late it notices a job's end, over many job durations drawn at
 * random (seeded, so every run of the bench prints the same numbers), using the handlers' own pure
 * scheduling functions (local/schedule-sim.ts). The local runs in local/bench.ts confirm them end to end.
 */
import { summarizeDurations } from '../lambda/shared/schedule';
import type { HistorySummary, PollingSettings } from '../lambda/shared/types';
import { simulateExport } from './schedule-sim';

// A 24-hour limit, so that a 6-hour job 3x as long as its history still ends before it.
const DEFAULTS = { initialWaitSeconds: 30, backoffRate: 2, maxWaitSeconds: 360, maxExportSeconds: 86_400 };
export const STRATEGIES: Record<string, PollingSettings> = {
  'history-aware': { ...DEFAULTS, strategy: 'history' },
  backoff: { ...DEFAULTS, strategy: 'backoff' },
  'fixed 30 s': { ...DEFAULTS, backoffRate: 1, maxWaitSeconds: 30, strategy: 'backoff' },
};
export const JOB_CLASSES = { 'short (15 min)': 900, 'typical (1 h)': 3600, 'long (6 h)': 21_600 };

/**
 * List prices, US East (N. Virginia): Standard workflow state transitions
 * (https://aws.amazon.com/step-functions/pricing/) and Lambda requests and Arm duration
 * (https://aws.amazon.com/lambda/pricing/). Each invocation is taken as 100 ms billed at 256 MB (the
 * handlers' memory); the look-ups and status calls to Glue and Personalize cost nothing.
 */
export const PRICES = {
  perStateTransition: 0.025 / 1000,
  perLambdaRequest: 0.2 / 1_000_000,
  perArmGbSecond: 0.0000133334,
  invocationGbSeconds: 0.25 * 0.1,
};

/**
 * A child execution per export: Export Type?, Start, Export Started?, Finalize, Emit Export Event, Export
 * Done, and 3 a check (Wait, status task, Done?). The happy local run checks this model (test/local).
 */
export const transitionsPerExport = (checks: number) => 6 + 3 * checks;
/** Start, Finalize, and one status task per check. */
export const invocationsPerExport = (checks: number) => 2 + checks;
export function dollarsPerExport(checks: number): number {
  const perInvocation = PRICES.perLambdaRequest + PRICES.perArmGbSecond * PRICES.invocationGbSeconds;
  return (
    transitionsPerExport(checks) * PRICES.perStateTransition + invocationsPerExport(checks) * perInvocation
  );
}

/** mulberry32: a small seeded generator, so the draws are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How a job relates to its history: like its last 5 runs, with none on record, or 3x as long. */
export type Case = 'like its history' | 'no history' | '3x its history';

export interface Draw {
  readonly jobSeconds: number;
  readonly history?: HistorySummary;
}

/** A job of about `nominal` seconds, +-2 % (any real number, not a multiple of 30), and its past 5 runs. */
export function draw(random: () => number, nominal: number, kind: Case): Draw {
  const around = () => nominal * (0.98 + 0.04 * random());
  const past = Array.from({ length: 5 }, around);
  const jobSeconds = around() * (kind === '3x its history' ? 3 : 1);
  return { jobSeconds, history: kind === 'no history' ? undefined : summarizeDurations(past) };
}

export interface Stats {
  readonly meanChecks: number;
  readonly maxChecks: number;
  readonly meanLag: number;
  readonly p95Lag: number;
  readonly maxLag: number;
  /** Most checks more than the backoff made for the same draw. */
  readonly maxChecksOverBackoff: number;
}

export function measureStrategy(
  polling: PollingSettings,
  nominal: number,
  kind: Case,
  draws: number,
  seed: number,
): Stats {
  const random = seededRandom(seed);
  const checks: number[] = [];
  const lags: number[] = [];
  let over = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < draws; i++) {
    const d = draw(random, nominal, kind);
    const r = simulateExport({ polling, history: d.history, jobSeconds: d.jobSeconds });
    const b = simulateExport({ polling: STRATEGIES.backoff, jobSeconds: d.jobSeconds });
    checks.push(r.checks);
    lags.push(r.lagSeconds);
    over = Math.max(over, r.checks - b.checks);
  }
  const sorted = [...lags].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    meanChecks: mean(checks),
    maxChecks: Math.max(...checks),
    meanLag: mean(lags),
    p95Lag: sorted[Math.ceil(0.95 * sorted.length) - 1],
    maxLag: sorted[sorted.length - 1],
    maxChecksOverBackoff: over,
  };
}

/** The rows of the random-draw tables: each job class and case, each strategy. */
export function randomDrawRows(draws: number): (string | number)[][] {
  const rows: (string | number)[][] = [];
  let seed = 1;
  for (const kind of ['like its history', 'no history', '3x its history'] as const) {
    for (const [label, nominal] of Object.entries(JOB_CLASSES)) {
      for (const [strategy, polling] of Object.entries(STRATEGIES)) {
        if (kind !== 'like its history' && strategy === 'fixed 30 s') continue;
        // The same seed for each strategy of a class: they face the same jobs.
        const s = measureStrategy(polling, nominal, kind, draws, seed);
        rows.push([
          kind,
          label,
          strategy,
          s.meanChecks.toFixed(1),
          s.maxChecks,
          `${s.meanLag.toFixed(0)} s`,
          `${s.p95Lag.toFixed(0)} s`,
          `${s.maxLag.toFixed(0)} s`,
          s.maxChecksOverBackoff > 0 ? `+${s.maxChecksOverBackoff}` : String(s.maxChecksOverBackoff),
          `$${(dollarsPerExport(s.meanChecks) * 1000).toFixed(3)}`,
        ]);
      }
      seed++;
    }
  }
  return rows;
}
