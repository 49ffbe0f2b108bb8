/**
 * The clean-up of a stopped run as deployed, outside a scenario: the cancel-stopped-run bundle of a cloud
 * assembly, run by the local Lambda runtime with its own environment and credentials, its real Glue client
 * pointed at a stand-in that authorizes each call as the function's role from the template; given the
 * "Step Functions Execution Status Change" event of an aborted run, whose task run it should cancel.
 */
import { GlueClient, StartExportLabelsTaskRunCommand } from '@aws-sdk/client-glue';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Authorizer } from '../../local/access/authorizer';
import type { AccessCheck } from '../../local/access/checks';
import type { PermissionsReport } from '../../local/access/report';
import { RunAccess } from '../../local/access/run-access';
import { loadAssembly } from '../../local/assembly';
import { LambdaRuntime, runEnvironment } from '../../local/lambda-runtime';
import { AwsStandIn } from '../../local/stand-in/aws-stand-in';

export const TRANSFORM = 'tfm-0123456789abcdef0123456789abcdef';
const PREFIX = 's3://example-ml-exports/glue-labels/customer-matches/';

type Cleanup = (
  event: unknown,
  options: { secondLookAfterMs: number },
) => Promise<{ cancelled: { taskRunId: string }[]; skipped?: string }>;

export interface StoppedRunCleanup {
  readonly checks: AccessCheck[];
  /** The task runs started for the stopped run and for another run, by the start function. */
  readonly started: { readonly mine: string; readonly other: string };
  readonly report: Awaited<ReturnType<Cleanup>>;
  readonly standIn: AwsStandIn;
  readonly authorizer: Authorizer;
  readonly permissions: PermissionsReport;
}

/**
 * Starts two task runs (as the start function does in a run, with its credentials), one for the aborted
 * run `nightly-1` and one for `nightly-0`, then has the clean-up handle `nightly-1`'s aborted event.
 */
export async function cleanUpStoppedRun(assemblyDir: string): Promise<StoppedRunCleanup> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-stopped-run-'));
  const assembly = loadAssembly(assemblyDir, 'us-east-1', '111122223333');
  const access = new RunAccess(assembly, 'nightly-1');
  const { authorizer, credentials } = access;
  const checks = await access.checkTemplate();
  const standIn = new AwsStandIn({
    world: { transforms: [TRANSFORM], datasets: [], glueJobSeconds: 3600, personalizeJobSeconds: 3600 },
    outDir: path.join(work, 'out'),
    access: access.standIn,
  });
  const endpoint = await standIn.start();
  try {
    const lambdas = new LambdaRuntime({
      authorizer,
      credentials,
      environment: runEnvironment({ region: 'us-east-1', endpoint, runDir: work, logLevel: 'SILENT' }),
    });
    const fn = (part: string) => [...assembly.functions.values()].find((f) => f.logicalId.includes(part))!;
    // The second look (35 s later) is left out here; test/lambda covers it.
    const cleanUp = (await lambdas.get(fn('CancelStoppedRun')).exports()).cleanUpStoppedRun as Cleanup;
    const startAs = new GlueClient({
      endpoint,
      region: 'us-east-1',
      credentials: credentials.issue(lambdas.get(fn('StartGlueExport')).caller),
    });
    const startMs = Date.now() - 60_000;
    const day = new Date(startMs).toISOString().slice(0, 10);
    const start = async (executionName: string) =>
      (
        await startAs.send(
          new StartExportLabelsTaskRunCommand({
            TransformId: TRANSFORM,
            OutputS3Path: `${PREFIX}${day}/${executionName}/`,
          }),
        )
      ).TaskRunId!;
    const started = { mine: await start('nightly-1'), other: await start('nightly-0') };
    startAs.destroy();
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
    return { checks, started, report, standIn, authorizer, permissions: access.report() };
  } finally {
    await standIn.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
