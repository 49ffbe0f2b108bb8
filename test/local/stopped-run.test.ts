/**
 * The clean-up of a stopped run as deployed (stopped-run-harness.ts): the cancel-stopped-run bundle from
 * the synthesized cloud assembly, run with its own environment and credentials, each of its calls
 * authorized as its role from the template; and the stopped-run rule's Lambda permission, checked as AWS
 * would when the rule delivers the aborted run's event.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanUpStoppedRun, TRANSFORM, type StoppedRunCleanup } from './stopped-run-harness';
import { synthesize } from './simulator';

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-stopped-run-'));
let run: StoppedRunCleanup;

beforeAll(async () => {
  synthesize(path.join(WORK, 'cdk.out'));
  run = await cleanUpStoppedRun(path.join(WORK, 'cdk.out'));
}, 180_000);

afterAll(() => fs.rmSync(WORK, { recursive: true, force: true }));

it('lets the stopped-run rule invoke the clean-up function (its Lambda permission names the rule)', () => {
  expect(run.checks.filter((c) => c.description.includes('StoppedRunCleanupRule'))).toEqual([
    {
      description: expect.stringContaining('EventBridge delivers to StoppedRunCleanupCancelStoppedRun'),
      allowed: true,
    },
  ]);
});

it("cancels the aborted run's running task run and leaves another run's alone", () => {
  expect(run.report.cancelled.map((c) => c.taskRunId)).toEqual([run.started.mine]);
  expect(run.standIn.glueRunsSettled()).toEqual([
    { transformId: TRANSFORM, taskRunId: run.started.mine, status: 'STOPPED' },
    // Just started: STARTING, or RUNNING on a slow machine; never cancelled.
    {
      transformId: TRANSFORM,
      taskRunId: run.started.other,
      status: expect.stringMatching(/^(STARTING|RUNNING)$/),
    },
  ]);
  expect(run.standIn.calls.map((c) => c.operation)).toEqual([
    'StartExportLabelsTaskRun',
    'StartExportLabelsTaskRun',
    'GetMLTaskRuns',
    'CancelMLTaskRun',
  ]);
});

it("makes the clean-up's calls as its own role, each allowed by the template", () => {
  const calls = [...run.authorizer.log.records.values()]
    .filter((r) => r.request.caller.label === 'StoppedRunCleanupCancelStoppedRun' && r.request.by === 'code')
    .map((r) => [r.request.action, r.allowed]);
  expect(calls).toEqual([
    ['glue:GetMLTaskRuns', true],
    ['glue:CancelMLTaskRun', true],
  ]);
  expect(run.permissions.denied).toEqual([]);
});
