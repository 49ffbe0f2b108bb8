/**
 * The clean-up of a stopped run as deployed: the cancel-stopped-run bundle from the synthesized cloud
 * assembly (with its bundled export catalog), its real Glue client pointed at the local stand-in, given
 * the "Step Functions Execution Status Change" event of an aborted run.
 */
import { GlueClient, StartExportLabelsTaskRunCommand } from '@aws-sdk/client-glue';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAssembly } from '../../local/assembly';
import { AwsStandIn } from '../../local/stand-in/aws-stand-in';
import { synthesize } from './simulator';

const TRANSFORM = 'tfm-0123456789abcdef0123456789abcdef';
const PREFIX = 's3://example-ml-exports/glue-labels/customer-matches/';
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-stopped-run-'));

type Cleanup = (
  event: unknown,
  options: { secondLookAfterMs: number },
) => Promise<{ cancelled: { taskRunId: string }[]; skipped?: string }>;

let standIn: AwsStandIn;
let glue: GlueClient;
let cleanUp: Cleanup;
const savedEnv = { ...process.env };

beforeAll(async () => {
  synthesize(path.join(WORK, 'cdk.out'));
  const assembly = loadAssembly(path.join(WORK, 'cdk.out'), 'us-east-1');
  const fn = [...assembly.functions.values()].find((f) => f.logicalId.includes('CancelStoppedRun'))!;
  standIn = new AwsStandIn({
    world: { transforms: [TRANSFORM], datasets: [], glueJobSeconds: 3600, personalizeJobSeconds: 3600 },
    outDir: path.join(WORK, 'out'),
  });
  const endpoint = await standIn.start();
  Object.assign(process.env, fn.environment, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_GLUE: endpoint,
    AWS_CONFIG_FILE: path.join(WORK, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(WORK, 'no-credentials'),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  delete process.env.ML_EXPORTS_CATALOG_FILE;
  const bundle = createRequire(fn.codeFile)(fn.codeFile) as Record<string, unknown>;
  expect(typeof bundle[fn.handlerExport]).toBe('function');
  // The second look (35 s later) is left out here; test/lambda covers it.
  cleanUp = bundle.cleanUpStoppedRun as Cleanup;
  glue = new GlueClient({ endpoint, region: 'us-east-1' });
}, 180_000);

afterAll(async () => {
  glue?.destroy();
  await standIn?.stop();
  process.env = savedEnv;
  fs.rmSync(WORK, { recursive: true, force: true });
});

it("cancels the aborted run's running task run and leaves another run's alone", async () => {
  const startMs = Date.now() - 60_000;
  const day = new Date(startMs).toISOString().slice(0, 10);
  const start = async (executionName: string) =>
    (
      await glue.send(
        new StartExportLabelsTaskRunCommand({
          TransformId: TRANSFORM,
          OutputS3Path: `${PREFIX}${day}/${executionName}/`,
        }),
      )
    ).TaskRunId!;
  const mine = await start('nightly-1');
  const other = await start('nightly-0');

  const report = await cleanUp(
    {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:WorkflowStateMachine:nightly-1',
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:WorkflowStateMachine',
        name: 'nightly-1',
        status: 'ABORTED',
        startDate: startMs,
        input: '{}',
        inputDetails: { included: true },
      },
    },
    { secondLookAfterMs: 0 },
  );

  expect(report.cancelled.map((c) => c.taskRunId)).toEqual([mine]);
  expect(standIn.glueRunsSettled()).toEqual([
    { transformId: TRANSFORM, taskRunId: mine, status: 'STOPPED' },
    // Just started: STARTING, or RUNNING on a slow machine; never cancelled.
    { transformId: TRANSFORM, taskRunId: other, status: expect.stringMatching(/^(STARTING|RUNNING)$/) },
  ]);
  expect(standIn.calls.map((c) => c.operation)).toEqual([
    'StartExportLabelsTaskRun',
    'StartExportLabelsTaskRun',
    'GetMLTaskRuns',
    'CancelMLTaskRun',
  ]);
});
