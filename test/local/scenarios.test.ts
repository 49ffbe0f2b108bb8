/**
 * End-to-end: the synthesized cloud assembly (state machine definition and bundled Lambda code, built by
 * the CDK CLI exactly as `cdk deploy` would, here through the local run's own `--config`) run by the local
 * simulator for every named scenario (example-run.ts runs them once for all of test/local): what holds in
 * every one of them, and the table of them in docs/local-run.md.
 */
import { SCENARIO_NAMES } from '../../local/scenarios';
import { exportEvents, EXPORTS, runEvents, useScenarioResults } from './example-run';
import { documentedOutcomes } from './printed';

const results = useScenarioResults();

const run = (name: string) => results.run(name);

/** Runs that end without their own run event: the clean-up of the ended run sends one. */
const ENDED_WITHOUT_RUN_EVENT = ['stopped-run', 'prepare-run-denied', 'results-unreadable'];
/** Scenarios whose run goes through its exports to the end. */
const COMPLETING = SCENARIO_NAMES.filter(
  (n) => !['bad-input', 'overlapping-run', 'eventbridge-long-outage', ...ENDED_WITHOUT_RUN_EVENT].includes(n),
);

describe.each(COMPLETING)('scenario %s', (name) => {
  it('ends every export in exactly one terminal event, then one run event, and starts at most one job per export', () => {
    const r = run(name);
    const perExport = EXPORTS.map(
      (e) => exportEvents(r).filter((ev) => ev.event.detail.exportName === e).length,
    );
    expect(perExport).toEqual([1, 1]);
    expect(runEvents(r).map((e) => e.event['detail-type'])).toEqual(['ML Export Run Completed']);
    expect(r.events[r.events.length - 1].event['detail-type']).toBe('ML Export Run Completed');
    expect(r.counts.glueTaskRunsStarted).toBeLessThanOrEqual(1);
    expect(r.counts.personalizeJobsCreated).toBeLessThanOrEqual(1);
    for (const e of r.events)
      expect(e.event).toMatchObject({ source: 'ml-exports', version: '0', region: 'us-east-1' });
  });

  it('succeeds exactly when every export succeeded, says so in the run event and in its exit status', () => {
    const r = run(name);
    const allSucceeded = exportEvents(r).every((e) => e.event.detail.outcome === 'SUCCEEDED');
    expect(r.status).toBe(allSucceeded ? 'SUCCEEDED' : 'FAILED');
    expect(r.exitCode).toBe(allSucceeded ? 0 : 1);
    expect(runEvents(r)[0].event.detail).toMatchObject({
      status: allSucceeded ? 'SUCCEEDED' : 'FAILED',
      exportCount: 2,
    });
  });

  it('writes the files of each succeeded export under its run path, and none for the others', () => {
    const r = run(name);
    for (const e of exportEvents(r)) {
      const prefix = String(e.event.detail.outputS3Path).replace(/^s3:\/\//, 's3/');
      const files = r.filesWritten.filter((f) => f.startsWith(prefix));
      expect({ export: e.event.detail.exportName, files: files.length }).toEqual({
        export: e.event.detail.exportName,
        files: e.event.detail.outcome === 'SUCCEEDED' ? 1 : 0,
      });
    }
  });
});

describe.each(ENDED_WITHOUT_RUN_EVENT)('scenario %s (the run ends without its own run event)', (name) => {
  it("ends every export it listed in exactly one terminal event, then the clean-up's one run event", () => {
    const r = run(name);
    const listed = name === 'prepare-run-denied' ? [] : EXPORTS;
    expect(
      EXPORTS.map((e) => exportEvents(r).filter((ev) => ev.event.detail.exportName === e).length),
    ).toEqual(EXPORTS.map((e) => (listed.includes(e) ? 1 : 0)));
    expect(runEvents(r).map((e) => e.event['detail-type'])).toEqual(['ML Export Run Stopped']);
    expect(r.events[r.events.length - 1].event.detail).toMatchObject({
      status: name === 'stopped-run' ? 'ABORTED' : 'FAILED',
      exportCount: listed.length,
      failedState: {
        'stopped-run': 'Export Each',
        'prepare-run-denied': 'Prepare Run',
        'results-unreadable': 'Summarize Run',
      }[name],
    });
    expect(r.cleanups).toHaveLength(1);
    expect(r.exitCode).toBe(1);
  });
});

describe('docs/local-run.md', () => {
  it('documents every scenario with the execution status its run ends in (example configuration)', () => {
    const documented = documentedOutcomes();
    expect(Object.keys(documented).sort()).toEqual([...SCENARIO_NAMES].sort());
    const actual = Object.fromEntries(SCENARIO_NAMES.map((name) => [name, run(name).status]));
    expect(documented).toEqual(actual);
  });
});
