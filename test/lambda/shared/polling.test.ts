import { backoffSeconds, maxPolls, recordPoll, startTracking } from '../../../lambda/shared/polling';
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
