import fc from 'fast-check';
import { maxPolls } from '../../../lambda/shared/polling';
import {
  historyWaitSeconds,
  planChecks,
  summarizeDurations,
  withHistory,
} from '../../../lambda/shared/schedule';
import type { HistorySummary, PollingSettings } from '../../../lambda/shared/types';
import { measureStrategy, STRATEGIES } from '../../../local/bench-schedule';
import { simulateExport } from '../../../local/schedule-sim';

const defaults: PollingSettings = {
  initialWaitSeconds: 30,
  backoffRate: 2,
  maxWaitSeconds: 360,
  maxExportSeconds: 43_200,
};
const backoff: PollingSettings = { ...defaults, strategy: 'backoff' };
/** Five past runs of an hour, +-2 %. */
const hourly = summarizeDurations([3600, 3571, 3641, 3537, 3662])!;

describe('summarizeDurations', () => {
  it('keeps the count, p10, median and p90 of the newest ten valid durations', () => {
    expect(summarizeDurations([100, 90, 110, 95, 105])).toEqual({
      samples: 5,
      lowSeconds: 92,
      expectedSeconds: 100,
      highSeconds: 108,
    });
    const eleven = [...Array.from({ length: 10 }, () => 60), 6000];
    expect(summarizeDurations(eleven)).toMatchObject({ samples: 10, highSeconds: 60 });
    expect(summarizeDurations([Number.NaN, -1, 0])).toBeUndefined();
    expect(summarizeDurations([])).toBeUndefined();
  });
});

describe('planChecks', () => {
  it('sleeps until half a step before p10, then checks every 2 % of the median (less 2 s for the check itself) to half a step past p90', () => {
    expect(hourly).toEqual({ samples: 5, lowSeconds: 3551, expectedSeconds: 3600, highSeconds: 3654 });
    // Step 72 - 2 = 70 s; the first check 35 s before p10; the window ends 3 steps past it.
    expect(planChecks(hourly, defaults)).toEqual({ firstCheck: 3516, step: 70, windowEnd: 3726 });
  });

  it.each([
    ['strategy backoff', hourly, backoff],
    ['no history', undefined, defaults],
    ['two runs only', { ...hourly, samples: 2 }, defaults],
    ['noisy history (p10-p90 over half the median)', summarizeDurations([600, 3600, 7200]), defaults],
    ['inconsistent numbers', { ...hourly, lowSeconds: 4000 }, defaults],
  ] as const)('uses the backoff with %s', (_label, history, polling) => {
    expect(planChecks(history as HistorySummary | undefined, polling)).toBeUndefined();
    expect(
      historyWaitSeconds({
        polling,
        history: history as HistorySummary | undefined,
        checksDone: 0,
        elapsed: 0,
        remaining: 43_200,
      }),
    ).toBeUndefined();
  });
});

describe('the history-aware schedule on the targets of the issue', () => {
  it('a job like its last 5 runs (1 h +- 2 %): at most 5 checks, noticed within 72 s', () => {
    for (let job = 3528; job <= 3672; job += 7) {
      const r = simulateExport({ polling: defaults, history: hourly, jobSeconds: job });
      expect({ job, outcome: r.outcome }).toEqual({ job, outcome: 'SUCCEEDED' });
      expect(r.checks).toBeLessThanOrEqual(5);
      expect(r.lagSeconds).toBeLessThanOrEqual(72);
    }
    // Today's backoff: 13 checks, up to 360 s late.
    expect(simulateExport({ polling: backoff, jobSeconds: 3600 }).checks).toBe(13);
  });

  it('a job 3x longer than its history: no more checks than the backoff, plus 2', () => {
    const r = simulateExport({ polling: defaults, history: hourly, jobSeconds: 3 * 3600 + 17 });
    const b = simulateExport({ polling: backoff, jobSeconds: 3 * 3600 + 17 });
    expect(r.outcome).toBe('SUCCEEDED');
    expect(r.checks).toBeLessThanOrEqual(b.checks + 2);
  });

  it('the first wait of an adopted job counts from when the job started', () => {
    const now = Date.parse('2026-01-05T01:00:00Z');
    const t = withHistory(
      {
        job: { taskRunId: 'r' },
        adopted: true,
        trackingStartedAt: new Date(now).toISOString(),
        deadline: new Date(now + 43_200_000).toISOString(),
        polls: 0,
        waitSeconds: 30,
        outcome: 'RUNNING',
      },
      hourly,
      now,
      defaults,
      now - 3000_000,
    );
    // 3,000 s into the job: 516 s until the first planned check.
    expect(t).toMatchObject({ history: hourly, waitSeconds: 516 });
  });
});

const pollingArb = fc
  .record({
    initialWaitSeconds: fc.integer({ min: 1, max: 600 }),
    backoffRate: fc.oneof(fc.constant(1), fc.constant(2), fc.double({ min: 1, max: 4, noNaN: true })),
    extraWait: fc.integer({ min: 0, max: 1200 }),
    maxExportSeconds: fc.integer({ min: 60, max: 86_400 }),
    strategy: fc.constantFrom('history' as const, undefined),
  })
  .map(({ extraWait, ...p }): PollingSettings => ({ ...p, maxWaitSeconds: p.initialWaitSeconds + extraWait }))
  .filter((p) => maxPolls(p) <= 2000);

/** Histories of every kind: consistent, noisy, short, and numbers no summary would give. */
const historyArb = fc.oneof(
  fc
    .array(fc.integer({ min: 1, max: 100_000 }), { minLength: 0, maxLength: 12 })
    .map((d) => summarizeDurations(d)),
  fc
    .record({ expected: fc.integer({ min: 1, max: 90_000 }), spread: fc.double({ min: 0, max: 0.6 }) })
    .map(({ expected, spread }) =>
      summarizeDurations([1, 0.5, 0, -0.5, -1].map((f) => expected * (1 + (f * spread) / 2))),
    ),
  fc.record({
    samples: fc.integer({ min: 0, max: 10 }),
    lowSeconds: fc.integer({ min: -10, max: 90_000 }),
    expectedSeconds: fc.integer({ min: 0, max: 90_000 }),
    highSeconds: fc.integer({ min: 0, max: 90_000 }),
  }),
);

/** A job as long as history says, much shorter or longer, any length, or one that never ends. */
const jobArb = (history: HistorySummary | undefined, polling: PollingSettings) =>
  fc.oneof(
    fc.double({ min: 0.2, max: 3.5, noNaN: true }).map((f) => f * (history?.expectedSeconds || 600)),
    fc.integer({ min: 1, max: polling.maxExportSeconds + 600 }),
    fc.constant(Number.POSITIVE_INFINITY),
  );

describe('properties of the history-aware schedule (fast-check)', () => {
  it('never waits past the deadline, never makes more checks than maxPolls, and ends as the job does', () => {
    fc.assert(
      fc.property(
        pollingArb.chain((polling) =>
          historyArb.chain((history) =>
            fc.record({
              polling: fc.constant(polling),
              history: fc.constant(history),
              job: jobArb(history, polling),
              latency: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
            }),
          ),
        ),
        ({ polling, history, job, latency }) => {
          const r = simulateExport({
            polling,
            history,
            jobSeconds: job,
            latencySeconds: (i) => latency[i % latency.length],
          });
          expect(r.checks).toBeLessThanOrEqual(maxPolls(polling));
          r.waits.forEach((wait, i) => {
            const from = i === 0 ? 0 : r.checkTimes[i - 1];
            expect(wait).toBeGreaterThanOrEqual(1);
            expect(from + wait).toBeLessThanOrEqual(r.deadlineSeconds);
          });
          const seen = r.checkTimes.findIndex((t) => t >= job);
          if (seen >= 0) {
            expect(r.outcome).toBe('SUCCEEDED');
            expect(r.checks).toBe(seen + 1);
          } else {
            expect(r.outcome).toBe('TIMED_OUT');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('notices a job of any length within 2 checks more than the backoff, whatever the history says', () => {
    fc.assert(
      fc.property(
        pollingArb.chain((polling) =>
          historyArb.chain((history) =>
            fc.record({
              polling: fc.constant(polling),
              history: fc.constant(history),
              job: jobArb(history, polling),
            }),
          ),
        ),
        ({ polling, history, job }) => {
          const ours = simulateExport({ polling, history, jobSeconds: job });
          const theirs = simulateExport({ polling: { ...polling, strategy: 'backoff' }, jobSeconds: job });
          expect(ours.checks).toBeLessThanOrEqual(theirs.checks + 2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('behaves exactly as the backoff without usable history (none, too little, noisy, strategy backoff)', () => {
    const unusable = fc.oneof(
      fc.constant(undefined),
      fc
        .array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 2 })
        .map((d) => summarizeDurations(d)),
      fc
        .integer({ min: 10, max: 50_000 })
        .map((e) => summarizeDurations([e * 0.5, e, e * 1.5, e * 2, e * 0.4])),
    );
    fc.assert(
      fc.property(pollingArb, unusable, fc.integer({ min: 1, max: 90_000 }), (polling, history, job) => {
        expect(planChecks(history, polling)).toBeUndefined();
        const ours = simulateExport({ polling, history, jobSeconds: job });
        const theirs = simulateExport({ polling: { ...polling, strategy: 'backoff' }, jobSeconds: job });
        expect(ours.checkTimes).toEqual(theirs.checkTimes);
        expect(ours.outcome).toBe(theirs.outcome);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(pollingArb, historyArb, fc.integer({ min: 1, max: 90_000 }), (polling, history, job) => {
        const off = { ...polling, strategy: 'backoff' as const };
        expect(simulateExport({ polling: off, history, jobSeconds: job }).checkTimes).toEqual(
          simulateExport({ polling: off, jobSeconds: job }).checkTimes,
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('the targets over random jobs (the draws npm run bench reports, fewer of them)', () => {
  it('1 h jobs like their last 5 runs: at most 5 checks, every lag within 2 % (72 s)', () => {
    const s = measureStrategy(STRATEGIES['history-aware'], 3600, 'like its history', 300, 7);
    expect(s.maxChecks).toBeLessThanOrEqual(5);
    // Every draw, not only 95 % of them, within 2 % of the hour, the check's own latency included.
    expect(s.maxLag).toBeLessThanOrEqual(72);
  });

  it.each(['no history', '3x its history'] as const)(
    '%s: never more than 2 checks beyond the backoff',
    (kind) => {
      for (const nominal of [900, 3600, 21_600])
        expect(
          measureStrategy(STRATEGIES['history-aware'], nominal, kind, 100, 11).maxChecksOverBackoff,
        ).toBeLessThanOrEqual(2);
    },
  );
});
