/**
 * The clean-up of a stopped run as deployed: the cancel-stopped-run bundle from the synthesized cloud
 * assembly (with its bundled export catalog), run by the local Lambda runtime with its own environment and
 * credentials, its real Glue client pointed at the local stand-in, which authorizes each call as the
 * function's role from the template; given the "Step Functions Execution Status Change" event of an
 * aborted run, which the stopped-run rule may deliver to it (its Lambda permission, checked as AWS would).
 */
import { GlueClient, StartExportLabelsTaskRunCommand } from '@aws-sdk/client-glue';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Authorizer } from '../../local/access/authorizer';
import { CallerCredentials } from '../../local/access/callers';
import { checkTemplate, type AccessCheck } from '../../local/access/checks';
import { readAccessModel } from '../../local/access/policies';
import { StandInAccess } from '../../local/access/stand-in-access';
import { loadAssembly, type LoadedAssembly } from '../../local/assembly';
import { LambdaRuntime, runEnvironment } from '../../local/lambda-runtime';
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
let assembly: LoadedAssembly;
let authorizer: Authorizer;
let checks: AccessCheck[];

beforeAll(async () => {
  synthesize(path.join(WORK, 'cdk.out'));
  assembly = loadAssembly(path.join(WORK, 'cdk.out'), 'us-east-1', '111122223333');
  authorizer = new Authorizer(readAccessModel(assembly.template.Resources, assembly));
  checks = await checkTemplate(authorizer);
  const credentials = new CallerCredentials();
  standIn = new AwsStandIn({
    world: { transforms: [TRANSFORM], datasets: [], glueJobSeconds: 3600, personalizeJobSeconds: 3600 },
    outDir: path.join(WORK, 'out'),
    access: new StandInAccess(authorizer, credentials),
  });
  const endpoint = await standIn.start();
  const lambdas = new LambdaRuntime({
    authorizer,
    credentials,
    environment: runEnvironment({ region: 'us-east-1', endpoint, runDir: WORK, logLevel: 'SILENT' }),
  });
  const fn = (part: string) => [...assembly.functions.values()].find((f) => f.logicalId.includes(part))!;
  // The second look (35 s later) is left out here; test/lambda covers it.
  cleanUp = (await lambdas.get(fn('CancelStoppedRun')).exports()).cleanUpStoppedRun as Cleanup;
  // The run's task runs are started as the start function starts them in a run, with its credentials.
  glue = new GlueClient({
    endpoint,
    region: 'us-east-1',
    credentials: credentials.issue(lambdas.get(fn('StartGlueExport')).caller),
  });
}, 180_000);

afterAll(async () => {
  glue?.destroy();
  await standIn?.stop();
  fs.rmSync(WORK, { recursive: true, force: true });
});

it('lets the stopped-run rule invoke the clean-up function (its Lambda permission names the rule)', () => {
  expect(checks.filter((c) => c.description.includes('StoppedRunCleanupRule'))).toEqual([
    {
      description: expect.stringContaining('EventBridge delivers to StoppedRunCleanupCancelStoppedRun'),
      allowed: true,
    },
  ]);
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
        executionArn: `${assembly.stateMachineArn.replace(':stateMachine:', ':execution:')}:nightly-1`,
        stateMachineArn: assembly.stateMachineArn,
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

it("makes the clean-up's calls as its own role, each allowed by the template", () => {
  const calls = [...authorizer.log.records.values()]
    .filter((r) => r.request.caller.label === 'StoppedRunCleanupCancelStoppedRun' && r.request.by === 'code')
    .map((r) => [r.request.action, r.allowed]);
  expect(calls).toEqual([
    ['glue:GetMLTaskRuns', true],
    ['glue:CancelMLTaskRun', true],
  ]);
});
