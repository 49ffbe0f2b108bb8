/**
 * A run that ends without its own run event, as deployed: the example assembly run locally and stopped at a
 * simulated time (StopExecution, or the state machine's timeout), then the template's rule delivering the
 * status change to the clean-up bundle, whose real clients ask the stand-in's Step Functions about the run's
 * recorded executions; after a change of configuration (a second assembly's clean-up); redriven after the
 * stop; and redriven while a newer run exports the same data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_DETAILS } from '../../contract/events';
import { exportEvents, simulate, useScenarioResults, WORK } from './example-run';
import type { SimulationResult } from './simulator';

const results = useScenarioResults();
const TRANSFORM = 'tfm-0123456789abcdef0123456789abcdef';

const sequence = (r: SimulationResult) =>
  r.events.map(
    (e) => `${e.event['detail-type']} ${String(e.event.detail.exportName ?? e.event.detail.status)}`,
  );
const ownTaskRuns = (r: SimulationResult) => r.glueTaskRuns.filter((t) => !t.other);
const otherTaskRuns = (r: SimulationResult) => r.glueTaskRuns.filter((t) => t.other);
const cleanupCalls = (r: SimulationResult, operation: string) =>
  (r.cleanups ?? []).flatMap((c) => c.calls ?? []).filter((c) => c.operation === operation);

/** What every stopped run of the example shows: one event per unfinished export, then one run event. */
function expectAccountedFor(r: SimulationResult, status: 'ABORTED' | 'TIMED_OUT', why: string) {
  expect(sequence(r)).toEqual([
    'ML Export Stopped customer-matches',
    'ML Export Stopped interactions',
    `ML Export Run Stopped ${status}`,
  ]);
  for (const { event } of r.events) {
    const parsed = EVENT_DETAILS[event['detail-type'] as keyof typeof EVENT_DETAILS].safeParse(event.detail);
    expect(parsed.error).toBeUndefined();
  }
  const [glue, personalize, run] = r.events.map((e) => e.event.detail);
  const [taskRun] = ownTaskRuns(r);
  expect(glue).toMatchObject({
    outcome: 'STOPPED',
    transformId: TRANSFORM,
    taskRunId: taskRun.taskRunId,
    jobCancelled: true,
    jobState: 'CANCELLED',
    error: { type: why },
  });
  expect(personalize).toMatchObject({
    outcome: 'STOPPED',
    datasetExportJobArn: expect.stringMatching(/:dataset-export-job\/mlx-12-interactions-/),
    jobCancelled: false,
    jobState: 'STILL_RUNNING',
  });
  expect(run).toMatchObject({
    status,
    exportCount: 2,
    stopped: 2,
    stoppedExports: ['customer-matches', 'interactions'],
  });
  // The run's own task run is cancelled, and no other: not another run's on the same transform, nor
  // another application's on another transform.
  expect(taskRun.status).toBe('STOPPED');
  expect(otherTaskRuns(r).map((t) => t.status)).toEqual(['RUNNING', 'RUNNING']);
  expect(cleanupCalls(r, 'CancelMLTaskRun')).toHaveLength(1);
  // It confirmed the execution with Step Functions, and read the run's Map Run and children.
  expect(cleanupCalls(r, 'DescribeExecution').length).toBeGreaterThanOrEqual(3);
  expect(cleanupCalls(r, 'ListMapRuns')).toHaveLength(1);
}

describe('a stopped run', () => {
  it('gets one ML Export Stopped per unfinished export (its Glue task run cancelled, its Personalize job said to run on), then one ML Export Run Stopped', () => {
    const r = results.run('stopped-run');
    expect(r.status).toBe('ABORTED');
    expect(r.exitCode).toBe(1);
    expectAccountedFor(r, 'ABORTED', 'RunStopped');
    expect(r.cleanups).toEqual([expect.objectContaining({ executionStatus: 'ABORTED', attempts: 1 })]);
  });

  it('is accounted for from the run itself after the configuration changed before the stop (a renamed export, a new prefix)', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../config/example.json'), 'utf8'));
    const changed = path.join(WORK, 'config-changed.json');
    fs.mkdirSync(WORK, { recursive: true });
    fs.writeFileSync(
      changed,
      JSON.stringify({
        ...example,
        allowedOutputS3Prefixes: [],
        glueExports: [
          {
            ...example.glueExports[0],
            name: 'customer-matches-v2',
            outputS3Prefix: 's3://example-ml-exports/glue-labels/v2/',
          },
        ],
      }),
    );
    const r = await simulate('stopped-config-changed', ['--cleanup-config', changed], 'stopped-run');
    expectAccountedFor(r, 'ABORTED', 'RunStopped');
    expect(r.events[0].event.detail.outputS3Path).toBe(
      's3://example-ml-exports/glue-labels/customer-matches/2026-11-22/e2e-stopped-config-changed/',
    );
  });

  it('gets the same at the state machine timeout', async () => {
    const r = await simulate('timed-out', ['--time-out-after', '300'], 'stopped-run');
    expect(r.status).toBe('TIMED_OUT');
    expectAccountedFor(r, 'TIMED_OUT', 'RunTimedOut');
  });

  it('redriven, starts a new Glue task run in place of the cancelled one, and adopts its Personalize job', async () => {
    const r = await simulate('stopped-redriven', ['--redrive'], 'stopped-run');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.firstAttempt).toMatchObject({
      failedState: 'Export Each',
      error: { error: 'ExecutionAborted' },
    });
    expect(ownTaskRuns(r).map((t) => t.status)).toEqual(['STOPPED', 'SUCCEEDED']);
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 2, personalizeJobsCreated: 1 });
    expect(otherTaskRuns(r).map((t) => t.status)).toEqual(['RUNNING', 'RUNNING']);
    expect(sequence(r)).toEqual([
      'ML Export Stopped customer-matches',
      'ML Export Stopped interactions',
      'ML Export Run Stopped ABORTED',
      'ML Export Succeeded customer-matches',
      'ML Export Succeeded interactions',
      'ML Export Run Completed SUCCEEDED',
    ]);
    // The Personalize job (which the stop could not stop) is followed on to its end: the same job.
    const jobOf = (outcome: string) =>
      exportEvents(r).find(
        (e) => e.event.detail.exportName === 'interactions' && e.event.detail.outcome === outcome,
      )?.event.detail.datasetExportJobArn;
    expect(jobOf('SUCCEEDED')).toBe(jobOf('STOPPED'));
  });

  it('redriven while a newer run exports the same data, yields: no second task run, the export fails with RunSkipped', async () => {
    const r = await simulate('newer-redriven', ['--stop-after', '400', '--redrive'], 'newer-run');
    expect(r.counts.glueTaskRunsStarted).toBe(1);
    const last = exportEvents(r)
      .filter((e) => e.event.detail.exportName === 'customer-matches')
      .pop()!.event;
    expect(last.detail).toMatchObject({
      outcome: 'FAILED',
      error: {
        type: 'RunSkipped',
        message: expect.stringMatching(
          /^execution nightly-newer \(started 2026-11-22T03:05:00.000Z\) is still running and exports the same data as customer-matches, so export customer-matches started no task run/,
        ),
      },
    });
    // Without the stop, the same run goes ahead: it started before the newer one.
    expect(results.run('newer-run')).toMatchObject({
      status: 'SUCCEEDED',
      counts: { glueTaskRunsStarted: 1 },
    });
  });
});
