/**
 * Waits and failures outside the jobs, in the example's scenario runs (example-run.ts): an account whose
 * quotas other jobs fill, runs that start no export, EventBridge refusing events, and a redrive of a run
 * that failed at Summarize Run.
 */
import { EXPORTS, outcomeOf, runEvents, simulate, useScenarioResults } from './example-run';

const results = useScenarioResults();

const run = (name: string) => results.run(name);

describe('service quotas', () => {
  it('busy-account: each export waits for capacity while other jobs fill the quota, then starts once and succeeds', () => {
    const r = run('busy-account');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    // Refused while the other jobs hold the slots (20 minutes), with growing waits between attempts.
    const refused = r.calls.filter(
      (c) => c.error && ['StartExportLabelsTaskRun', 'CreateDatasetExportJob'].includes(c.operation),
    );
    expect(new Set(refused.map((c) => `${c.operation}: ${c.error}`))).toEqual(
      new Set([
        'StartExportLabelsTaskRun: ConcurrentRunsExceededException',
        'CreateDatasetExportJob: LimitExceededException',
      ]),
    );
    for (const name of EXPORTS) {
      const detail = outcomeOf(r, name)!.detail;
      expect(detail.outcome).toBe('SUCCEEDED');
      // The first slot frees at 20 minutes; attempts about 30, 60, 120, 240, 360, 360 s apart (plus the SDK's
      // own short retries of each refusal): started at the first attempt after 1,200 s.
      expect(detail.waitedForCapacitySeconds).toBeGreaterThanOrEqual(1200);
      expect(detail.waitedForCapacitySeconds).toBeLessThan(1200 + 360 + 60);
    }
  });
});

describe('runs that start no export, and a run a redrive resumes', () => {
  it('overlapping-run: yields to the earlier run exporting the same dataset, says which, and starts nothing', () => {
    const r = run('overlapping-run');
    // Yielding is not failing: the execution succeeds (no failed-executions alarm), the event says why.
    expect(r.status).toBe('SUCCEEDED');
    expect(r.error).toBeUndefined();
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 0, personalizeJobsCreated: 0 });
    expect(r.calls.map((c) => c.operation)).toEqual(['ListExecutions', 'DescribeExecution']);
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Skipped']);
    expect(r.events[0].event.detail).toMatchObject({
      status: 'SKIPPED',
      error: {
        type: 'RunSkipped',
        message: expect.stringMatching(
          /^execution manual-backfill \(started 2026-11-22T02:30:00\.000Z\) is still running and exports the same data as interactions, so this run started no job \(arn:aws:states:.*:execution:.*:manual-backfill\)$/,
        ),
      },
    });
  });

  it("eventbridge-outage: one export's event refused past its retries never stops the other export, and is delivered late", () => {
    const r = run('eventbridge-outage');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    // The Glue export's event was refused 9 times (8 retries) while the Personalize export was mid-poll;
    // that one still polled to its end and sent its own event; the held one came with the run's summary.
    expect(r.events.map((e) => [e.event['detail-type'], e.event.detail.exportName])).toEqual([
      ['ML Export Succeeded', 'interactions'],
      ['ML Export Succeeded', 'customer-matches'],
      ['ML Export Run Completed', undefined],
    ]);
    expect(r.exports.every((e) => e.events === 1)).toBe(true);
    expect(runEvents(r)[0].event.detail).toMatchObject({ status: 'SUCCEEDED', lateEvents: 1 });
    // Delivered by Summarize Run's own PutEvents, after the Personalize export ended (25 min).
    expect(r.events[1].simSeconds).toBeGreaterThanOrEqual(r.events[0].simSeconds);
  });

  it('eventbridge-long-outage: an outage past every retry fails the execution at Summarize Run, never silently', () => {
    const r = run('eventbridge-long-outage');
    expect(r.status).toBe('FAILED');
    expect(r.failedState).toBe('Summarize Run');
    expect(r.error?.error).toBe('TransientServiceError');
    // EventBridge's error code and message, each said once.
    expect(JSON.parse(r.error!.cause).errorMessage).toBe(
      'EventBridge PutEvents for bus default refused 2 of 2 events: InternalFailure: EventBridge refused the entries',
    );
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    expect(r.events).toEqual([]);
  });
});

describe('redrive', () => {
  it('eventbridge-long-outage, redriven: Summarize Run runs again and delivers each held event once, with no second job', async () => {
    const r = await simulate('outage-redrive', ['--redrive'], 'eventbridge-long-outage');
    expect(r.firstAttempt).toMatchObject({
      failedState: 'Summarize Run',
      error: { error: 'TransientServiceError' },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    expect(r.exports.map((e) => [e.name, e.outcome, e.events])).toEqual([
      ['customer-matches', 'SUCCEEDED', 1],
      ['interactions', 'SUCCEEDED', 1],
    ]);
    expect(r.events.map((e) => e.event['detail-type'])).toEqual([
      'ML Export Succeeded',
      'ML Export Succeeded',
      'ML Export Run Completed',
    ]);
    expect(
      r.calls.filter(
        (c) => c.operation === 'StartExportLabelsTaskRun' || c.operation === 'CreateDatasetExportJob',
      ),
    ).toHaveLength(2);
  });
});
