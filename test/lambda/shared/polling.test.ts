import fc from 'fast-check';
import {
  backoffSeconds,
  maxChecks,
  maxPolls,
  rampChecks,
  recordCapacityRefusal,
  recordPoll,
  startTracking,
} from '../../../lambda/shared/polling';
import type { PollingSettings } from '../../../lambda/shared/types';

const polling: PollingSettings = {
  initialWaitSeconds: 30,
  backoffRate: 2,
  maxWaitSeconds: 360,
  maxExportSeconds: 3600,
};
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('backoffSeconds', () => {
  it('grows by the backoff rate and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(n, polling))).toEqual([
      30, 60, 120, 240, 360, 360, 360,
    ]);
  });

  it('never waits less than one second', () => {
    expect(backoffSeconds(0, { ...polling, initialWaitSeconds: 0.2 })).toBe(1);
  });
});

describe('recordPoll', () => {
  const running = { outcome: 'RUNNING' as const, serviceStatus: 'RUNNING' };

  it('counts the check and sets the next wait from the backoff', () => {
    const t = recordPoll(
      startTracking({ taskRunId: 'r' }, false, T0, polling),
      running,
      T0 + 30_000,
      polling,
    );
    expect(t).toMatchObject({
      polls: 1,
      outcome: 'RUNNING',
      waitSeconds: 60,
      lastCheckedAt: '2026-01-01T00:00:30.000Z',
    });
  });

  it('never schedules a check past the deadline', () => {
    const t = { ...startTracking({ taskRunId: 'r' }, false, T0, polling), polls: 9 };
    expect(recordPoll(t, running, T0 + 3500_000, polling).waitSeconds).toBe(100);
  });

  it('ends a still-running job as TIMED_OUT at the deadline', () => {
    const t = recordPoll(
      startTracking({ taskRunId: 'r' }, false, T0, polling),
      running,
      T0 + 3600_000,
      polling,
    );
    expect(t).toMatchObject({ outcome: 'TIMED_OUT', waitSeconds: 0, serviceStatus: 'RUNNING' });
  });

  it('keeps a job that ended at the deadline as ended, not timed out', () => {
    const t = recordPoll(
      startTracking({ taskRunId: 'r' }, false, T0, polling),
      { outcome: 'SUCCEEDED', serviceStatus: 'SUCCEEDED' },
      T0 + 7200_000,
      polling,
    );
    expect(t.outcome).toBe('SUCCEEDED');
  });

  it('keeps the service error text and times', () => {
    const t = recordPoll(
      startTracking({ taskRunId: 'r' }, false, T0, polling),
      {
        outcome: 'FAILED',
        serviceStatus: 'FAILED',
        serviceError: 'boom',
        jobStartedAt: 'a',
        jobCompletedAt: 'b',
      },
      T0 + 30_000,
      polling,
    );
    expect(t).toMatchObject({
      outcome: 'FAILED',
      serviceError: 'boom',
      jobStartedAt: 'a',
      jobCompletedAt: 'b',
    });
  });
});

describe('maxPolls', () => {
  it('matches a step-by-step walk of the loop to the deadline', () => {
    for (const p of [
      polling,
      { ...polling, maxExportSeconds: 43_200 },
      { initialWaitSeconds: 1, backoffRate: 1.5, maxWaitSeconds: 60, maxExportSeconds: 86_400 },
      { initialWaitSeconds: 600, backoffRate: 1, maxWaitSeconds: 600, maxExportSeconds: 7 * 86_400 },
      { initialWaitSeconds: 10, backoffRate: 1, maxWaitSeconds: 60, maxExportSeconds: 3600 },
    ]) {
      let tracking = startTracking({ taskRunId: 'r' }, false, T0, p);
      let now = T0;
      while (tracking.outcome === 'RUNNING') {
        now += tracking.waitSeconds * 1000;
        tracking = recordPoll(tracking, { outcome: 'RUNNING', serviceStatus: 'RUNNING' }, now, p);
      }
      expect({ p, polls: tracking.polls }).toEqual({ p, polls: maxPolls(p) });
    }
  });
});

describe('cost targets of the default policy (the numbers npm run bench measures end to end)', () => {
  const defaults: PollingSettings = {
    initialWaitSeconds: 30,
    backoffRate: 2,
    maxWaitSeconds: 360,
    maxExportSeconds: 43_200,
  };
  const fixed30: PollingSettings = {
    initialWaitSeconds: 30,
    backoffRate: 1,
    maxWaitSeconds: 30,
    maxExportSeconds: 43_200,
  };

  /** Status checks until the first one at or after the job's end, and how late that check is. */
  function detect(jobSeconds: number, p: PollingSettings) {
    let tracking = startTracking({ taskRunId: 'r' }, false, T0, p);
    let now = T0;
    for (;;) {
      now += tracking.waitSeconds * 1000;
      const ended = now - T0 >= jobSeconds * 1000;
      tracking = recordPoll(
        tracking,
        { outcome: ended ? 'SUCCEEDED' : 'RUNNING', serviceStatus: 'x' },
        now,
        p,
      );
      if (ended) return { checks: tracking.polls, lagSeconds: (now - T0) / 1000 - jobSeconds };
    }
  }

  // A check is three state transitions (Wait, Task, Choice). A run of one export adds 11 more: Prepare Run,
  // Export Each, Summarize Run, Emit Run Event, Run Succeeded?, Run Succeeded, and in the export Export
  // Type?, Start, Finalize, Emit Export Event, Export Done (test/local checks the same sum on real runs).
  const transitions = (checks: number) => 3 * checks + 11;

  it.each([3600, 2 * 3600, 6 * 3600, 12 * 3600 - 60])(
    'a %i s job: at least 7x fewer transitions than a 30 s poller, lag within max(60 s, 10%%)',
    (job) => {
      const ours = detect(job, defaults);
      const base = detect(job, fixed30);
      expect(transitions(base.checks) / transitions(ours.checks)).toBeGreaterThanOrEqual(7);
      expect(ours.lagSeconds).toBeLessThanOrEqual(Math.max(60, job / 10));
    },
  );

  it('checks a one-hour job 13 times where a 30 s poller checks 120 times', () => {
    expect([detect(3600, defaults).checks, detect(3600, fixed30).checks]).toEqual([13, 120]);
  });
});

describe('waiting for capacity', () => {
  it('backs off like the status checks and never waits past the time limit', () => {
    let wait = recordCapacityRefusal(undefined, 'LimitExceededException: full', T0, polling);
    expect(wait).toMatchObject({
      outcome: 'WAITING',
      attempts: 1,
      waitSeconds: 30,
      since: '2026-01-01T00:00:00.000Z',
    });
    const waits = [wait.waitSeconds];
    let now = T0;
    while (wait.outcome === 'WAITING') {
      now += wait.waitSeconds * 1000;
      wait = recordCapacityRefusal(wait, 'LimitExceededException: full', now, polling);
      waits.push(wait.waitSeconds);
    }
    // 30, 60, 120, 240, then 360 s until the hour is up; the last attempt is at the deadline itself.
    expect(waits.slice(0, 6)).toEqual([30, 60, 120, 240, 360, 360]);
    expect(now).toBe(T0 + polling.maxExportSeconds * 1000);
    expect(wait).toMatchObject({ outcome: 'TIMED_OUT', waitSeconds: 0 });
  });

  it('keeps the deadline when the job starts after waiting', () => {
    const wait = recordCapacityRefusal(undefined, 'x', T0, polling);
    const t = startTracking({ taskRunId: 'r' }, false, T0 + 3_500_000, polling, wait);
    expect(t.deadline).toBe(wait.deadline);
    expect(t.waitSeconds).toBe(30);
    expect(startTracking({ taskRunId: 'r' }, false, T0 + 3_590_000, polling, wait).waitSeconds).toBe(10);
  });

  it('makes no more start attempts and checks together than maxChecks, however long the wait', () => {
    const settings = fc.record({
      initialWaitSeconds: fc.integer({ min: 1, max: 600 }),
      backoffRate: fc.double({ min: 1, max: 4, noNaN: true }),
      maxWaitSeconds: fc.integer({ min: 1, max: 3600 }),
      maxExportSeconds: fc.integer({ min: 60, max: 86_400 }),
    });
    fc.assert(
      fc.property(settings, fc.double({ min: 0, max: 1.2, noNaN: true }), (raw, waitShare) => {
        const p = { ...raw, maxWaitSeconds: Math.max(raw.maxWaitSeconds, raw.initialWaitSeconds) };
        // Refused until some moment (perhaps never), then the job runs to the deadline.
        const freeAt = T0 + waitShare * p.maxExportSeconds * 1000;
        let now = T0;
        let checks = 0;
        let wait = recordCapacityRefusal(undefined, 'x', now, p);
        checks++;
        while (wait.outcome === 'WAITING') {
          now += wait.waitSeconds * 1000;
          checks++;
          if (now >= freeAt) break;
          wait = recordCapacityRefusal(wait, 'x', now, p);
        }
        if (wait.outcome === 'WAITING') {
          let t = startTracking({ taskRunId: 'r' }, false, now, p, wait);
          while (t.outcome === 'RUNNING') {
            now += t.waitSeconds * 1000;
            t = recordPoll(t, { outcome: 'RUNNING', serviceStatus: 'RUNNING' }, now, p);
            checks++;
          }
          expect(now).toBeLessThanOrEqual(Date.parse(wait.deadline));
        }
        expect(checks).toBeLessThanOrEqual(maxChecks(p));
      }),
      { numRuns: 300 },
    );
  });

  it('counts the checks made while the wait still grows', () => {
    expect(rampChecks(polling)).toBe(4);
    expect(rampChecks({ ...polling, maxWaitSeconds: 30 })).toBe(0);
  });
});
