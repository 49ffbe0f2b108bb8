/** The stand-in's CancelMLTaskRun, through the real Glue client: the run goes STOPPING, then STOPPED. */
import {
  CancelMLTaskRunCommand,
  GetMLTaskRunCommand,
  GlueClient,
  StartExportLabelsTaskRunCommand,
} from '@aws-sdk/client-glue';
import FakeTimers from '@sinonjs/fake-timers';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AwsStandIn } from '../../local/stand-in/aws-stand-in';

const TRANSFORM = 'tfm-0123456789abcdef0123456789abcdef';
type InstalledClock = ReturnType<typeof FakeTimers.install>;

describe('the AWS stand-in: CancelMLTaskRun', () => {
  let clock: InstalledClock;
  let standIn: AwsStandIn;
  let glue: GlueClient;

  beforeEach(async () => {
    // Only Date is simulated: the HTTP server and the SDK keep their real timers.
    clock = FakeTimers.install({ now: Date.parse('2026-11-22T03:00:00.000Z'), toFake: ['Date'] });
    standIn = new AwsStandIn({
      world: { transforms: [TRANSFORM], datasets: [], glueJobSeconds: 600, personalizeJobSeconds: 600 },
      fates: { [TRANSFORM]: { kind: 'never-finish' } },
      outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'stand-in-')),
    });
    glue = new GlueClient({
      endpoint: await standIn.start(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    glue.destroy();
    await standIn.stop();
    clock.uninstall();
  });

  it('moves a running task run to STOPPING, then STOPPED with its CompletedOn, and refuses a second cancel', async () => {
    const { TaskRunId } = await glue.send(
      new StartExportLabelsTaskRunCommand({ TransformId: TRANSFORM, OutputS3Path: 's3://b/l/' }),
    );
    const ids = { TransformId: TRANSFORM, TaskRunId };
    clock.tick(3_600_000);
    expect((await glue.send(new GetMLTaskRunCommand(ids))).Status).toBe('RUNNING');

    expect(await glue.send(new CancelMLTaskRunCommand(ids))).toMatchObject({ ...ids, Status: 'STOPPING' });
    expect((await glue.send(new GetMLTaskRunCommand(ids))).Status).toBe('STOPPING');

    clock.tick(5_000);
    expect(await glue.send(new GetMLTaskRunCommand(ids))).toMatchObject({
      Status: 'STOPPED',
      CompletedOn: new Date('2026-11-22T04:00:05.000Z'),
    });
    expect(standIn.glueRunsSettled()).toEqual([
      { transformId: TRANSFORM, taskRunId: TaskRunId, status: 'STOPPED' },
    ]);
    await expect(glue.send(new CancelMLTaskRunCommand(ids))).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    expect(standIn.filesWritten).toEqual([]);
  });

  it('answers EntityNotFoundException for a task run it does not know', async () => {
    await expect(
      glue.send(new CancelMLTaskRunCommand({ TransformId: TRANSFORM, TaskRunId: 'tfmtaskrun-nope' })),
    ).rejects.toMatchObject({ name: 'EntityNotFoundException' });
  });
});
