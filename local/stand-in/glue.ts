/**
 * Glue's ML task runs of export-labels: StartExportLabelsTaskRun within the account's and the transform's
 * concurrency quotas, GetMLTaskRun, GetMLTaskRuns (with the transform's past runs, for the history
 * look-up) and CancelMLTaskRun (STOPPING, then STOPPED). A task run that succeeds writes its labeling file.
 */
import { createHash } from 'node:crypto';
import { glueLabelsCsv } from './csv';
import type { LocalS3Folder } from './local-files';
import type { JsonOperation } from './server';
import { requireString, ServiceError } from './service-error';
import { QUEUED_SECONDS, type Account, type JobFate } from './world';

export interface GlueTaskRun {
  readonly transformId: string;
  readonly taskRunId: string;
  readonly outputS3Path: string;
  readonly startedMs: number;
  readonly fate: JobFate;
  written: boolean;
  /** When CancelMLTaskRun was called: STOPPING for a few seconds, then STOPPED. */
  cancelledMs?: number;
  /** How long this run takes, when not `world.glueJobSeconds` (past runs). */
  readonly seconds?: number;
}

/** Seconds a cancelled task run spends STOPPING before it is STOPPED. */
const STOPPING_SECONDS = 5;

export class GlueStandIn {
  /** Task runs started during this execution. */
  readonly runs: GlueTaskRun[] = [];
  /** Past task runs (`world.pastRuns`): listed, never started or counted as started by this execution. */
  private readonly pastRuns: GlueTaskRun[] = [];
  /** Task runs of others (`world.otherTaskRuns`), running since before the execution. */
  readonly otherRuns: GlueTaskRun[] = [];

  constructor(
    private readonly account: Account,
    private readonly files: LocalS3Folder,
  ) {
    this.seedPastRuns(account.pastRunsBeforeMs());
    (account.world.otherTaskRuns ?? []).forEach((other, i) =>
      this.otherRuns.push({
        ...other,
        taskRunId: `tfmtaskrun-other${String(i).padStart(26, '0')}`,
        startedMs: account.pastRunsBeforeMs() - 600_000,
        fate: { kind: 'never-finish' },
        written: true,
      }),
    );
  }

  /** The awsJson operations, by X-Amz-Target. */
  operations(): [string, JsonOperation][] {
    return [
      ['AWSGlue.StartExportLabelsTaskRun', (input) => this.startExportLabelsTaskRun(input)],
      ['AWSGlue.GetMLTaskRun', (input) => this.describe(this.findRun(input))],
      ['AWSGlue.GetMLTaskRuns', (input) => this.getMLTaskRuns(input)],
      ['AWSGlue.CancelMLTaskRun', (input) => this.cancelMLTaskRun(input)],
    ];
  }

  /** Writes the labeling file of every task run that has succeeded by now. */
  materialize(now: number): void {
    for (const run of this.runs) {
      if (!run.written && this.status(run, now) === 'SUCCEEDED') {
        run.written = true;
        this.files.write(
          `${run.outputS3Path}${run.taskRunId}-labels-00000.csv`,
          glueLabelsCsv(run.taskRunId),
        );
      }
    }
  }

  /** Where each task run ends up once nothing more happens: a cancelled one STOPPED, a stuck one RUNNING. */
  settled(): { transformId: string; taskRunId: string; status: string; other?: true }[] {
    const settle = (run: GlueTaskRun) =>
      this.status(run, Math.max(Date.now(), (run.cancelledMs ?? 0) + STOPPING_SECONDS * 1000));
    return [
      ...this.runs.map((run) => ({
        transformId: run.transformId,
        taskRunId: run.taskRunId,
        status: settle(run),
      })),
      ...this.otherRuns.map((run) => ({
        transformId: run.transformId,
        taskRunId: run.taskRunId,
        status: settle(run),
        other: true as const,
      })),
    ];
  }

  private seedPastRuns(nowMs: number): void {
    for (const past of this.account.world.pastRuns ?? []) {
      if (past.target.startsWith('arn:')) continue;
      past.seconds.forEach((seconds, i) => {
        const startedMs = nowMs - (i + 1) * 86_400_000;
        const day = new Date(startedMs).toISOString().slice(0, 10);
        this.pastRuns.push({
          fate: { kind: 'succeed' },
          written: true,
          seconds,
          transformId: past.target,
          taskRunId: `tfmtaskrun-past${String(i).padStart(27, '0')}`,
          outputS3Path: `${past.outputS3Prefix ?? 's3://past-exports/'}${day}/nightly-${day}/`,
          startedMs,
        });
      });
    }
  }

  private startExportLabelsTaskRun(input: Record<string, unknown>) {
    const transformId = requireString(input, 'TransformId', 1, 255, 'InvalidInputException');
    const outputS3Path = requireString(input, 'OutputS3Path', 1, 4096, 'InvalidInputException');
    if (!/^s3:\/\/[^/]+\/?/.test(outputS3Path))
      throw new ServiceError('InvalidInputException', `OutputS3Path ${outputS3Path} is not an S3 path`);
    this.requireTransform(transformId);
    this.files.fileFor(outputS3Path);
    const now = Date.now();
    const unfinished = this.runs.filter((r) => ['STARTING', 'RUNNING'].includes(this.status(r, now)));
    const inAccount = unfinished.length + this.account.otherJobs('glue');
    const perTransform = unfinished.filter((r) => r.transformId === transformId).length;
    const accountQuota = this.account.quota('glueTaskRunsPerAccount');
    const transformQuota = this.account.quota('glueTaskRunsPerTransform');
    if (inAccount >= accountQuota)
      throw new ServiceError(
        'ConcurrentRunsExceededException',
        `Concurrent ML task runs exceeded for this account: ${inAccount} running, limit ${accountQuota}`,
      );
    if (perTransform >= transformQuota)
      throw new ServiceError(
        'ConcurrentRunsExceededException',
        `Concurrent ML task runs exceeded for transform ${transformId}: limit ${transformQuota}`,
      );
    const taskRunId = `tfmtaskrun-${createHash('sha256').update(`${transformId}/${this.runs.length}/${outputS3Path}`).digest('hex').slice(0, 32)}`;
    const fate = this.account.fateOf(transformId);
    this.runs.push({ transformId, taskRunId, outputS3Path, startedMs: Date.now(), fate, written: false });
    return { TaskRunId: taskRunId };
  }

  private findRun(input: Record<string, unknown>): GlueTaskRun {
    const transformId = requireString(input, 'TransformId', 1, 255, 'InvalidInputException');
    const taskRunId = requireString(input, 'TaskRunId', 1, 255, 'InvalidInputException');
    this.requireTransform(transformId);
    const run = [...this.runs, ...this.otherRuns].find(
      (r) => r.transformId === transformId && r.taskRunId === taskRunId,
    );
    if (!run)
      throw new ServiceError(
        'EntityNotFoundException',
        `Task run ${taskRunId} not found for transform ${transformId}`,
      );
    return run;
  }

  /** The run goes STOPPING, then STOPPED. Cancelling a run that has ended is refused (a guess: undocumented). */
  private cancelMLTaskRun(input: Record<string, unknown>) {
    const run = this.findRun(input);
    const status = this.status(run, Date.now());
    if (status !== 'STARTING' && status !== 'RUNNING')
      throw new ServiceError(
        'InvalidInputException',
        `Task run ${run.taskRunId} is ${status} and cannot be cancelled`,
      );
    run.cancelledMs = Date.now();
    return {
      TransformId: run.transformId,
      TaskRunId: run.taskRunId,
      Status: this.status(run, Date.now()),
    };
  }

  private getMLTaskRuns(input: Record<string, unknown>) {
    const transformId = requireString(input, 'TransformId', 1, 255, 'InvalidInputException');
    this.requireTransform(transformId);
    const max = (input.MaxResults as number | undefined) ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw new ServiceError('InvalidInputException', `MaxResults ${max} must be 1-1000`);
    const filter = (input.Filter ?? {}) as { TaskRunType?: string; Status?: string; StartedAfter?: number };
    const sort = (input.Sort ?? {}) as { Column?: string; SortDirection?: string };
    const now = Date.now();
    const runs = [...this.runs, ...this.otherRuns, ...this.pastRuns]
      .filter((r) => r.transformId === transformId)
      .filter(() => !filter.TaskRunType || filter.TaskRunType === 'EXPORT_LABELS')
      .filter((r) => !filter.Status || this.status(r, now) === filter.Status)
      .filter((r) => filter.StartedAfter === undefined || r.startedMs >= filter.StartedAfter * 1000)
      // Only the STARTED column orders anything here (every run is an EXPORT_LABELS run).
      .sort((a, b) => (sort.SortDirection === 'ASCENDING' ? 1 : -1) * (a.startedMs - b.startedMs));
    const offset = input.NextToken ? Number(input.NextToken) : 0;
    const page = runs.slice(offset, offset + max).map((r) => this.describe(r));
    return { TaskRuns: page, ...(offset + max < runs.length ? { NextToken: String(offset + max) } : {}) };
  }

  private requireTransform(transformId: string): void {
    if (!this.account.world.transforms.includes(transformId)) {
      throw new ServiceError('EntityNotFoundException', `Transform ${transformId} not found`);
    }
  }

  private jobSeconds(run: GlueTaskRun): number {
    return run.seconds ?? this.account.world.glueJobSeconds;
  }

  private status(run: GlueTaskRun, now: number): string {
    if (run.cancelledMs !== undefined)
      return now - run.cancelledMs < STOPPING_SECONDS * 1000 ? 'STOPPING' : 'STOPPED';
    const elapsed = (now - run.startedMs) / 1000;
    if (elapsed < QUEUED_SECONDS) return 'STARTING';
    if (run.fate.kind === 'never-finish' || elapsed < this.jobSeconds(run)) return 'RUNNING';
    return { succeed: 'SUCCEEDED', fail: 'FAILED', stop: 'STOPPED' }[run.fate.kind];
  }

  /** A task run as GetMLTaskRun and GetMLTaskRuns answer it. */
  private describe(run: GlueTaskRun) {
    const now = Date.now();
    const status = this.status(run, now);
    const ended = ['SUCCEEDED', 'FAILED', 'STOPPED'].includes(status);
    const completedMs =
      run.cancelledMs !== undefined
        ? run.cancelledMs + STOPPING_SECONDS * 1000
        : run.startedMs + this.jobSeconds(run) * 1000;
    return {
      TransformId: run.transformId,
      TaskRunId: run.taskRunId,
      Status: status,
      Properties: {
        TaskType: 'EXPORT_LABELS',
        ExportLabelsTaskRunProperties: { OutputS3Path: run.outputS3Path },
      },
      StartedOn: run.startedMs / 1000,
      LastModifiedOn: (ended ? completedMs : now) / 1000,
      ...(ended
        ? { CompletedOn: completedMs / 1000, ExecutionTime: Math.round((completedMs - run.startedMs) / 1000) }
        : {}),
      ...(run.fate.kind === 'fail' && ended ? { ErrorString: run.fate.message } : {}),
    };
  }
}
