/**
 * A local stand-in for the Glue and Personalize APIs the workflow calls, speaking their awsJson1_1 wire
 * protocol on 127.0.0.1 so the real SDK v3 clients in the bundled handlers talk to it unchanged
 * (through AWS_ENDPOINT_URL_GLUE / AWS_ENDPOINT_URL_PERSONALIZE), and S3's GetObject (REST, path-style)
 * for the result files the Distributed Map writes.
 *
 * Jobs move through their real statuses on the (simulated) clock, requests are validated as the services
 * do, errors come back as modeled errors, and finished jobs write CSV files of the services' shapes under
 * a local folder that mirrors S3 (`<outDir>/s3/<bucket>/<key>`). Faults are injected per operation.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { isInside } from './limits';

/** What exists in the simulated account. */
export interface World {
  /** Transform ids that exist, with the record columns their labels carry. */
  readonly transforms: readonly string[];
  /** Dataset ARNs that exist. */
  readonly datasets: readonly string[];
  /** How long a job runs before it ends (seconds of simulated time). */
  readonly glueJobSeconds: number;
  readonly personalizeJobSeconds: number;
  /**
   * The account's concurrency quotas, enforced as the services do: a start beyond them is refused
   * (Glue ConcurrentRunsExceededException, Personalize LimitExceededException) until a job ends.
   * @default AWS's defaults: 30 concurrent ML task runs per account and 3 per transform; 5 unfinished
   * dataset export jobs
   */
  readonly quotas?: Partial<Quotas>;
  /**
   * Jobs of other applications that hold slots of the quotas when the run starts, for this long.
   * @default none
   */
  readonly otherJobs?: { readonly glue: number; readonly personalize: number; readonly seconds: number };
  /** Jobs that ran before this execution, one a day, newest first: each export's history. */
  readonly pastRuns?: readonly PastRuns[];
  /** Other executions of the state machine already running when this one starts (e.g. a manual backfill). */
  readonly runningExecutions?: readonly {
    readonly name: string;
    readonly input: unknown;
    readonly startedSecondsAgo: number;
  }[];
}

/** Concurrency quotas of the simulated account. */
export interface Quotas {
  readonly glueTaskRunsPerAccount: number;
  readonly glueTaskRunsPerTransform: number;
  readonly personalizeExportJobs: number;
}

/**
 * AWS's default quotas: Glue "Max concurrent ML task runs per account" (30) and "per transform" (3),
 * https://docs.aws.amazon.com/general/latest/gr/glue.html; Personalize's limit of 5 resources of a kind
 * with PENDING or IN_PROGRESS status, https://docs.aws.amazon.com/personalize/latest/dg/limits.html
 */
export const DEFAULT_QUOTAS: Quotas = {
  glueTaskRunsPerAccount: 30,
  glueTaskRunsPerTransform: 3,
  personalizeExportJobs: 5,
};

/** Successful past jobs of a transform or dataset (`target`); Personalize ones named for `exportName`. */
export interface PastRuns {
  readonly target: string;
  readonly exportName?: string;
  /** Durations in seconds, newest first. */
  readonly seconds: readonly number[];
}

/** The execution being run, as Step Functions lists it. */
export interface SelfExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  /** Simulated start, epoch milliseconds. */
  readonly startMs: number;
}

/** How one job ends, by export target (transform id or dataset ARN). */
export type JobFate =
  | { readonly kind: 'succeed' }
  | { readonly kind: 'fail'; readonly message: string }
  | { readonly kind: 'stop' }
  | { readonly kind: 'never-finish' };

/** Errors to return instead of handling a call: the next `count` calls of `operation` fail with `error`. */
export interface FaultRule {
  readonly operation: string;
  readonly error:
    | 'ThrottlingException'
    | 'InternalServiceException'
    | 'ServiceUnavailable'
    | 'LimitExceededException'
    | 'AccessDeniedException';
  readonly count: number;
  /** Handle the call (the job is created) but fail the response, as when a response is lost. */
  readonly afterEffect?: boolean;
}

export interface StandInOptions {
  readonly world: World;
  readonly fates?: Readonly<Record<string, JobFate>>;
  readonly faults?: readonly FaultRule[];
  /** Folder the exported files are written under. */
  readonly outDir: string;
  /** The execution being run, so ListExecutions lists it beside `world.runningExecutions`. */
  readonly self?: SelfExecution;
  /**
   * EventBridge's PutEvents (what Summarize Run calls to deliver export events refused during the run):
   * takes the entries, answers as the service does.
   */
  readonly onPutEvents?: (entries: Record<string, unknown>[]) => {
    FailedEntryCount: number;
    Entries: Record<string, unknown>[];
  };
  /** Called on every request start and end, so the simulated clock knows when the stand-in is busy. */
  readonly onActivity?: (inFlight: number) => void;
}

export interface CallRecord {
  readonly operation: string;
  readonly at: string;
  readonly error?: string;
}

interface GlueTaskRun {
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

interface PersonalizeJob {
  readonly jobName: string;
  readonly arn: string;
  readonly datasetArn: string;
  readonly roleArn: string;
  readonly path: string;
  readonly ingestionMode: string;
  readonly kmsKeyArn?: string;
  readonly createdMs: number;
  readonly fate: JobFate;
  written: boolean;
  readonly seconds?: number;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Seconds a job spends in its first status (STARTING / CREATE PENDING) before it runs. */
const QUEUED_SECONDS = 5;
/** Seconds a cancelled task run spends STOPPING before it is STOPPED. */
const STOPPING_SECONDS = 5;

export class AwsStandIn {
  readonly calls: CallRecord[] = [];
  readonly glueRuns: GlueTaskRun[] = [];
  readonly personalizeJobs: PersonalizeJob[] = [];
  readonly filesWritten: string[] = [];
  /** Past jobs (`world.pastRuns`): listed, never started or counted as started by this execution. */
  private readonly pastGlueRuns: GlueTaskRun[] = [];
  private readonly pastPersonalizeJobs: PersonalizeJob[] = [];
  /** S3 objects by `bucket/key`: the exports' files and the Map's result files. */
  private readonly objects = new Map<string, string>();
  private readonly faults: { rule: FaultRule; left: number }[];
  private server?: http.Server;
  private inFlight = 0;

  constructor(private readonly options: StandInOptions) {
    this.faults = (options.faults ?? []).map((rule) => ({ rule, left: rule.count }));
    this.seedPastRuns(options.self?.startMs ?? Date.now());
  }

  private seedPastRuns(nowMs: number): void {
    for (const past of this.options.world.pastRuns ?? []) {
      past.seconds.forEach((seconds, i) => {
        const startedMs = nowMs - (i + 1) * 86_400_000;
        const day = new Date(startedMs).toISOString().slice(0, 10);
        const common = { fate: { kind: 'succeed' } as const, written: true, seconds };
        if (!past.target.startsWith('arn:')) {
          this.pastGlueRuns.push({
            ...common,
            transformId: past.target,
            taskRunId: `tfmtaskrun-past${String(i).padStart(27, '0')}`,
            outputS3Path: `s3://past-exports/${day}/`,
            startedMs,
          });
        } else {
          const jobName = `mlx-${past.exportName ?? 'past'}-nightly-${day}-${String(i).padStart(8, '0')}`;
          const [, partition, , region, account] = past.target.split(':');
          this.pastPersonalizeJobs.push({
            ...common,
            jobName,
            arn: `arn:${partition}:personalize:${region}:${account}:dataset-export-job/${jobName}`,
            datasetArn: past.target,
            roleArn: `arn:${partition}:iam::${account}:role/past`,
            path: `s3://past-exports/${day}/`,
            ingestionMode: 'BULK',
            createdMs: startedMs,
          });
        }
      });
    }
  }

  /** Listens on a free port of 127.0.0.1 only; returns the endpoint URL. */
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.materialize();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Writes the files of every job that has finished by now. */
  materialize(): void {
    const now = Date.now();
    for (const run of this.glueRuns) {
      if (!run.written && this.glueStatus(run, now) === 'SUCCEEDED') {
        run.written = true;
        this.writeS3(`${run.outputS3Path}${run.taskRunId}-labels-00000.csv`, glueLabelsCsv(run.taskRunId));
      }
    }
    for (const job of this.personalizeJobs) {
      if (!job.written && this.personalizeStatus(job, now) === 'ACTIVE') {
        job.written = true;
        this.writeS3(`${job.path}${job.jobName}_00000.csv`, personalizeCsv(job.datasetArn, job.jobName));
      }
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.options.onActivity?.(this.inFlight);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target) return this.handleS3(req, res);
    const operation = target.split('.').pop() ?? '';
    let status = 200;
    let body: unknown;
    try {
      const text = await readBody(req);
      const input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const fault = this.takeFault(operation);
      if (fault && !fault.afterEffect) throw faultError(fault);
      body = this.dispatch(target, input);
      if (fault) throw faultError(fault);
      this.calls.push({ operation, at: new Date().toISOString() });
    } catch (err) {
      const e =
        err instanceof ServiceError ? err : new ServiceError('InternalServiceException', String(err), 500);
      this.calls.push({ operation, at: new Date().toISOString(), error: e.type });
      status = e.status;
      body = { __type: e.type, Message: e.message, message: e.message };
    }
    this.materialize();
    res.writeHead(status, {
      ...serverDate(),
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': createHash('md5').update(String(this.calls.length)).digest('hex'),
    });
    res.end(JSON.stringify(body), () => {
      this.inFlight--;
      this.options.onActivity?.(this.inFlight);
    });
  }

  /** An object, as S3 would store it; also written under the local S3 folder for people to look at. */
  putObject(bucket: string, key: string, content: string): void {
    this.objects.set(`${bucket}/${key}`, content);
    this.writeS3(`s3://${bucket}/${key}`, content);
  }

  /** S3 REST, path-style (the SDK's choice for an IP endpoint): GetObject only. Counted in flight by handle. */
  private handleS3(req: http.IncomingMessage, res: http.ServerResponse): void {
    const operation = req.method === 'GET' ? 'GetObject' : `${req.method} (S3)`;
    const [, bucket = '', ...keyParts] = decodeURIComponent(
      new URL(req.url ?? '/', 'http://x').pathname,
    ).split('/');
    const key = keyParts.join('/');
    let status = 200;
    let body: string;
    let contentType = 'application/octet-stream';
    try {
      const fault = this.takeFault(operation);
      if (fault) throw faultError(fault);
      if (operation !== 'GetObject') {
        throw new ServiceError('NotImplemented', `The stand-in implements only GetObject of S3`, 501);
      }
      const object = this.objects.get(`${bucket}/${key}`);
      if (object === undefined) {
        throw new ServiceError('NoSuchKey', 'The specified key does not exist.', 404);
      }
      body = object;
      this.calls.push({ operation, at: new Date().toISOString() });
    } catch (err) {
      const e = err instanceof ServiceError ? err : new ServiceError('InternalError', String(err), 500);
      this.calls.push({ operation, at: new Date().toISOString(), error: e.type });
      status = e.status;
      contentType = 'application/xml';
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.type}</Code><Message>${e.message}</Message><Key>${key}</Key></Error>`;
    }
    res.writeHead(status, {
      ...serverDate(),
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': createHash('md5').update(String(this.calls.length)).digest('hex'),
    });
    res.end(body, () => {
      this.inFlight--;
      this.options.onActivity?.(this.inFlight);
    });
  }

  private takeFault(operation: string): FaultRule | undefined {
    const slot = this.faults.find((f) => f.rule.operation === operation && f.left > 0);
    if (!slot) return undefined;
    slot.left--;
    return slot.rule;
  }

  private dispatch(target: string, input: Record<string, unknown>): unknown {
    switch (target) {
      case 'AWSGlue.StartExportLabelsTaskRun':
        return this.startExportLabelsTaskRun(input);
      case 'AWSGlue.GetMLTaskRun':
        return this.getMLTaskRun(input);
      case 'AWSGlue.GetMLTaskRuns':
        return this.getMLTaskRuns(input);
      case 'AWSGlue.CancelMLTaskRun':
        return this.cancelMLTaskRun(input);
      case 'AmazonPersonalize.CreateDatasetExportJob':
        return this.createDatasetExportJob(input);
      case 'AmazonPersonalize.DescribeDatasetExportJob':
        return this.describeDatasetExportJob(input);
      case 'AmazonPersonalize.ListDatasetExportJobs':
        return this.listDatasetExportJobs(input);
      case 'AWSStepFunctions.ListExecutions':
        return this.listExecutions(input);
      case 'AWSStepFunctions.DescribeExecution':
        return this.describeExecution(input);
      case 'AWSEvents.PutEvents': {
        const entries = input.Entries;
        if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10)
          throw new ServiceError('ValidationException', 'Entries must hold 1-10 entries');
        if (!this.options.onPutEvents)
          throw new ServiceError('UnknownOperationException', 'The stand-in has no event bus');
        return this.options.onPutEvents(entries as Record<string, unknown>[]);
      }
      default:
        throw new ServiceError('UnknownOperationException', `The stand-in does not implement ${target}`);
    }
  }

  // ---- Glue ----

  private quota<K extends keyof Quotas>(key: K): number {
    return this.options.world.quotas?.[key] ?? DEFAULT_QUOTAS[key];
  }

  /** Slots of other applications' jobs still held now. */
  private otherJobs(kind: 'glue' | 'personalize'): number {
    const other = this.options.world.otherJobs;
    const held = other && Date.now() - (this.options.self?.startMs ?? 0) < other.seconds * 1000;
    return held ? other[kind] : 0;
  }

  private startExportLabelsTaskRun(input: Record<string, unknown>) {
    const transformId = requireString(input, 'TransformId', 1, 255, 'InvalidInputException');
    const outputS3Path = requireString(input, 'OutputS3Path', 1, 4096, 'InvalidInputException');
    if (!/^s3:\/\/[^/]+\/?/.test(outputS3Path))
      throw new ServiceError('InvalidInputException', `OutputS3Path ${outputS3Path} is not an S3 path`);
    this.requireTransform(transformId);
    this.localFile(outputS3Path);
    const now = Date.now();
    const unfinished = this.glueRuns.filter((r) => ['STARTING', 'RUNNING'].includes(this.glueStatus(r, now)));
    const account = unfinished.length + this.otherJobs('glue');
    const perTransform = unfinished.filter((r) => r.transformId === transformId).length;
    if (account >= this.quota('glueTaskRunsPerAccount'))
      throw new ServiceError(
        'ConcurrentRunsExceededException',
        `Concurrent ML task runs exceeded for this account: ${account} running, limit ${this.quota('glueTaskRunsPerAccount')}`,
      );
    if (perTransform >= this.quota('glueTaskRunsPerTransform'))
      throw new ServiceError(
        'ConcurrentRunsExceededException',
        `Concurrent ML task runs exceeded for transform ${transformId}: limit ${this.quota('glueTaskRunsPerTransform')}`,
      );
    const taskRunId = `tfmtaskrun-${createHash('sha256').update(`${transformId}/${this.glueRuns.length}/${outputS3Path}`).digest('hex').slice(0, 32)}`;
    const fate = this.options.fates?.[transformId] ?? { kind: 'succeed' };
    this.glueRuns.push({ transformId, taskRunId, outputS3Path, startedMs: Date.now(), fate, written: false });
    return { TaskRunId: taskRunId };
  }

  private getMLTaskRun(input: Record<string, unknown>) {
    return this.describeGlueRun(this.findGlueRun(input));
  }

  private findGlueRun(input: Record<string, unknown>): GlueTaskRun {
    const transformId = requireString(input, 'TransformId', 1, 255, 'InvalidInputException');
    const taskRunId = requireString(input, 'TaskRunId', 1, 255, 'InvalidInputException');
    this.requireTransform(transformId);
    const run = this.glueRuns.find((r) => r.transformId === transformId && r.taskRunId === taskRunId);
    if (!run)
      throw new ServiceError(
        'EntityNotFoundException',
        `Task run ${taskRunId} not found for transform ${transformId}`,
      );
    return run;
  }

  /** The run goes STOPPING, then STOPPED. Cancelling a run that has ended is refused (a guess: undocumented). */
  private cancelMLTaskRun(input: Record<string, unknown>) {
    const run = this.findGlueRun(input);
    const status = this.glueStatus(run, Date.now());
    if (status !== 'STARTING' && status !== 'RUNNING')
      throw new ServiceError(
        'InvalidInputException',
        `Task run ${run.taskRunId} is ${status} and cannot be cancelled`,
      );
    run.cancelledMs = Date.now();
    return {
      TransformId: run.transformId,
      TaskRunId: run.taskRunId,
      Status: this.glueStatus(run, Date.now()),
    };
  }

  /** Where each task run ends up once nothing more happens: a cancelled one STOPPED, a stuck one RUNNING. */
  glueRunsSettled(): { transformId: string; taskRunId: string; status: string }[] {
    return this.glueRuns.map((run) => ({
      transformId: run.transformId,
      taskRunId: run.taskRunId,
      status: this.glueStatus(run, Math.max(Date.now(), (run.cancelledMs ?? 0) + STOPPING_SECONDS * 1000)),
    }));
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
    const runs = [...this.glueRuns, ...this.pastGlueRuns]
      .filter((r) => r.transformId === transformId)
      .filter(() => !filter.TaskRunType || filter.TaskRunType === 'EXPORT_LABELS')
      .filter((r) => !filter.Status || this.glueStatus(r, now) === filter.Status)
      .filter((r) => filter.StartedAfter === undefined || r.startedMs >= filter.StartedAfter * 1000)
      // Only the STARTED column orders anything here (every run is an EXPORT_LABELS run).
      .sort((a, b) => (sort.SortDirection === 'ASCENDING' ? 1 : -1) * (a.startedMs - b.startedMs));
    const offset = input.NextToken ? Number(input.NextToken) : 0;
    const page = runs.slice(offset, offset + max).map((r) => this.describeGlueRun(r));
    return { TaskRuns: page, ...(offset + max < runs.length ? { NextToken: String(offset + max) } : {}) };
  }

  private requireTransform(transformId: string): void {
    if (!this.options.world.transforms.includes(transformId)) {
      throw new ServiceError('EntityNotFoundException', `Transform ${transformId} not found`);
    }
  }

  private glueStatus(run: GlueTaskRun, now: number): string {
    if (run.cancelledMs !== undefined)
      return now - run.cancelledMs < STOPPING_SECONDS * 1000 ? 'STOPPING' : 'STOPPED';
    const elapsed = (now - run.startedMs) / 1000;
    if (elapsed < QUEUED_SECONDS) return 'STARTING';
    if (run.fate.kind === 'never-finish' || elapsed < (run.seconds ?? this.options.world.glueJobSeconds))
      return 'RUNNING';
    return { succeed: 'SUCCEEDED', fail: 'FAILED', stop: 'STOPPED' }[run.fate.kind];
  }

  private describeGlueRun(run: GlueTaskRun) {
    const now = Date.now();
    const status = this.glueStatus(run, now);
    const ended = ['SUCCEEDED', 'FAILED', 'STOPPED'].includes(status);
    const completedMs =
      run.cancelledMs !== undefined
        ? run.cancelledMs + STOPPING_SECONDS * 1000
        : run.startedMs + (run.seconds ?? this.options.world.glueJobSeconds) * 1000;
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

  // ---- Step Functions (what Prepare Run asks about other runs) ----

  private executions() {
    const self = this.options.self;
    if (!self) return [];
    const others = (this.options.world.runningExecutions ?? []).map((e) => ({
      name: e.name,
      input: e.input,
      startMs: self.startMs - e.startedSecondsAgo * 1000,
    }));
    return [{ name: self.name, input: self.input, startMs: self.startMs }, ...others].map((e) => ({
      ...e,
      executionArn: `${self.stateMachineArn.replace(':stateMachine:', ':execution:')}:${e.name}`,
      stateMachineArn: self.stateMachineArn,
    }));
  }

  private listExecutions(input: Record<string, unknown>) {
    const arn = requireString(input, 'stateMachineArn', 1, 256, 'InvalidArn');
    if (arn !== this.options.self?.stateMachineArn)
      throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    if (input.statusFilter !== undefined && input.statusFilter !== 'RUNNING') return { executions: [] };
    return {
      executions: this.executions().map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: 'RUNNING',
        startDate: e.startMs / 1000,
      })),
    };
  }

  private describeExecution(input: Record<string, unknown>) {
    const arn = requireString(input, 'executionArn', 1, 256, 'InvalidArn');
    const e = this.executions().find((x) => x.executionArn === arn);
    if (!e) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: 'RUNNING',
      startDate: e.startMs / 1000,
      input: JSON.stringify(e.input),
    };
  }

  // ---- Personalize ----

  private createDatasetExportJob(input: Record<string, unknown>) {
    const jobName = requireString(
      input,
      'jobName',
      1,
      63,
      'InvalidInputException',
      /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/,
    );
    const datasetArn = requireString(
      input,
      'datasetArn',
      1,
      256,
      'InvalidInputException',
      /^arn:([a-z\d-]+):personalize:.*:.*:.+$/,
    );
    const roleArn = requireString(
      input,
      'roleArn',
      1,
      256,
      'InvalidInputException',
      /^arn:([a-z\d-]+):iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/,
    );
    const destination = ((input.jobOutput as Record<string, unknown> | undefined)?.s3DataDestination ??
      {}) as Record<string, unknown>;
    const outPath = requireString(
      destination,
      'path',
      1,
      256,
      'InvalidInputException',
      /^(s3|http|https):\/\/.+$/,
    );
    if (destination.kmsKeyArn !== undefined)
      requireString(
        destination,
        'kmsKeyArn',
        1,
        2048,
        'InvalidInputException',
        /^arn:aws.*:kms:.*:[0-9]{12}:key\/.*$/,
      );
    const ingestionMode = (input.ingestionMode as string | undefined) ?? 'PUT';
    if (!['BULK', 'PUT', 'ALL'].includes(ingestionMode))
      throw new ServiceError(
        'InvalidInputException',
        `ingestionMode ${ingestionMode} must be BULK, PUT or ALL`,
      );
    this.localFile(outPath);
    if (!this.options.world.datasets.includes(datasetArn))
      throw new ServiceError('ResourceNotFoundException', `Dataset ${datasetArn} does not exist.`);
    if (/\/(ACTIONS|ACTION_INTERACTIONS)$/.test(datasetArn))
      throw new ServiceError('InvalidInputException', `Dataset type of ${datasetArn} cannot be exported.`);
    const [, partition, , region, account] = datasetArn.split(':');
    const arn = `arn:${partition}:personalize:${region}:${account}:dataset-export-job/${jobName}`;
    if (this.personalizeJobs.some((j) => j.arn === arn))
      throw new ServiceError(
        'ResourceAlreadyExistsException',
        `Dataset export job ${jobName} already exists.`,
      );
    const now = Date.now();
    const unfinished =
      this.personalizeJobs.filter(
        (j) =>
          this.personalizeStatus(j, now).startsWith('CREATE ') &&
          this.personalizeStatus(j, now) !== 'CREATE FAILED',
      ).length + this.otherJobs('personalize');
    const limit = this.quota('personalizeExportJobs');
    if (unfinished >= limit)
      throw new ServiceError(
        'LimitExceededException',
        `More than ${limit} resources with PENDING or IN_PROGRESS status.`,
      );
    const fate = this.options.fates?.[datasetArn] ?? { kind: 'succeed' };
    this.personalizeJobs.push({
      jobName,
      arn,
      datasetArn,
      roleArn,
      path: outPath,
      ingestionMode,
      ...(destination.kmsKeyArn ? { kmsKeyArn: destination.kmsKeyArn as string } : {}),
      createdMs: Date.now(),
      fate,
      written: false,
    });
    return { datasetExportJobArn: arn };
  }

  private describeDatasetExportJob(input: Record<string, unknown>) {
    const arn = requireString(
      input,
      'datasetExportJobArn',
      1,
      256,
      'InvalidInputException',
      /^arn:([a-z\d-]+):personalize:.*:.*:.+$/,
    );
    const job = this.personalizeJobs.find((j) => j.arn === arn);
    if (!job) throw new ServiceError('ResourceNotFoundException', `Could not find dataset export job ${arn}`);
    const now = Date.now();
    const status = this.personalizeStatus(job, now);
    const ended = status === 'ACTIVE' || status === 'CREATE FAILED';
    return {
      datasetExportJob: {
        jobName: job.jobName,
        datasetExportJobArn: job.arn,
        datasetArn: job.datasetArn,
        ingestionMode: job.ingestionMode,
        roleArn: job.roleArn,
        status,
        jobOutput: {
          s3DataDestination: { path: job.path, ...(job.kmsKeyArn ? { kmsKeyArn: job.kmsKeyArn } : {}) },
        },
        creationDateTime: job.createdMs / 1000,
        lastUpdatedDateTime: (ended ? this.personalizeEndMs(job) : now) / 1000,
        ...(status === 'CREATE FAILED' && job.fate.kind === 'fail'
          ? { failureReason: job.fate.message }
          : {}),
      },
    };
  }

  /** A dataset's export jobs, newest first, one page of `maxResults` (1-100) from `nextToken`. */
  private listDatasetExportJobs(input: Record<string, unknown>) {
    const max = (input.maxResults as number | undefined) ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw new ServiceError('InvalidInputException', `maxResults ${max} must be 1-100`);
    const offset = input.nextToken === undefined ? 0 : Number(input.nextToken);
    if (!Number.isInteger(offset) || offset < 0)
      throw new ServiceError('InvalidNextTokenException', `Invalid next token ${String(input.nextToken)}`);
    const now = Date.now();
    const jobs = [...this.personalizeJobs, ...this.pastPersonalizeJobs]
      .filter((j) => input.datasetArn === undefined || j.datasetArn === input.datasetArn)
      .sort((a, b) => b.createdMs - a.createdMs);
    const page = jobs.slice(offset, offset + max).map((job) => {
      const status = this.personalizeStatus(job, now);
      const ended = status === 'ACTIVE' || status === 'CREATE FAILED';
      return {
        jobName: job.jobName,
        datasetExportJobArn: job.arn,
        status,
        creationDateTime: job.createdMs / 1000,
        lastUpdatedDateTime: (ended ? this.personalizeEndMs(job) : now) / 1000,
      };
    });
    return {
      datasetExportJobs: page,
      ...(offset + max < jobs.length ? { nextToken: String(offset + max) } : {}),
    };
  }

  private personalizeEndMs(job: PersonalizeJob): number {
    return job.createdMs + (job.seconds ?? this.options.world.personalizeJobSeconds) * 1000;
  }

  private personalizeStatus(job: PersonalizeJob, now: number): string {
    const elapsed = (now - job.createdMs) / 1000;
    if (elapsed < QUEUED_SECONDS) return 'CREATE PENDING';
    if (
      job.fate.kind === 'never-finish' ||
      elapsed < (job.seconds ?? this.options.world.personalizeJobSeconds)
    )
      return 'CREATE IN_PROGRESS';
    return job.fate.kind === 'succeed' ? 'ACTIVE' : 'CREATE FAILED';
  }

  /**
   * Where an S3 object is kept locally: `<outDir>/s3/<bucket>/<key>`. A key whose `..` segments would
   * lead outside the output folder is refused, never written.
   */
  private localFile(uri: string): string | undefined {
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
    if (!match) return undefined;
    const root = path.join(this.options.outDir, 's3');
    const file = path.join(root, match[1], ...match[2].split('/'));
    if (!isInside(root, file) || path.relative(root, file).split(path.sep)[0] !== match[1])
      throw new ServiceError(
        'InvalidInputException',
        `The local stand-in refuses to write ${uri}: it would land at ${file}, outside its output folder ` +
          `${root}${path.sep}${match[1]}`,
      );
    return file;
  }

  private writeS3(uri: string, content: string): void {
    const file = this.localFile(uri);
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    this.filesWritten.push(file);
  }
}

/**
 * The server's clock, as AWS sends it: the simulated time. Node's own Date header is cached on a timer the
 * simulated clock never fires, so it would fall behind, and the SDK, seeing its clock hours off, would
 * correct the skew and retry every first error of a client.
 */
function serverDate(): { date: string } {
  return { date: new Date().toUTCString() };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function requireString(
  input: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  errorType: string,
  pattern?: RegExp,
): string {
  const value = input[field];
  if (
    typeof value !== 'string' ||
    value.length < min ||
    value.length > max ||
    (pattern && !pattern.test(value))
  ) {
    throw new ServiceError(
      errorType,
      `1 validation error detected: Value ${JSON.stringify(value)} at '${field}' failed to satisfy constraint: ` +
        `length ${min}-${max}${pattern ? ` and pattern ${pattern.source}` : ''}`,
    );
  }
  return value;
}

function faultError(rule: FaultRule): ServiceError {
  switch (rule.error) {
    case 'ThrottlingException':
      return new ServiceError('ThrottlingException', 'Rate exceeded');
    case 'LimitExceededException':
      return new ServiceError('LimitExceededException', 'Request rate exceeded');
    case 'AccessDeniedException':
      return new ServiceError(
        'AccessDeniedException',
        `User is not authorized to perform: ${rule.operation}`,
        403,
      );
    case 'ServiceUnavailable':
      return new ServiceError('ServiceUnavailable', 'Service unavailable', 503);
    default:
      return new ServiceError('InternalServiceException', 'Internal service error', 500);
  }
}

/** FindMatches labeling-file layout: labeling_set_id, label, then the record's columns. */
function glueLabelsCsv(seed: string): string {
  const rows = ['labeling_set_id,label,id,name,email,city'];
  for (let i = 0; i < 6; i++) {
    const set = `set-${seed.slice(-4)}-${Math.floor(i / 3)}`;
    rows.push(
      `${set},label-${i % 2},${1000 + i},Customer ${i},customer${i}@example.com,${['Berlin', 'Lyon', 'Austin'][i % 3]}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/** Records of the dataset's type, as Personalize writes them. */
function personalizeCsv(datasetArn: string, seed: string): string {
  const type = datasetArn.split('/').pop();
  const base =
    1_700_000_000 + (parseInt(createHash('md5').update(seed).digest('hex').slice(0, 6), 16) % 1000);
  const rows =
    type === 'ITEMS'
      ? [
          'ITEM_ID,CATEGORY,PRICE',
          ...Array.from({ length: 5 }, (_, i) => `item-${i},category-${i % 2},${(9.99 + i).toFixed(2)}`),
        ]
      : type === 'USERS'
        ? [
            'USER_ID,AGE,MEMBERSHIP',
            ...Array.from({ length: 5 }, (_, i) => `user-${i},${20 + i},${i % 2 ? 'gold' : 'basic'}`),
          ]
        : [
            'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE',
            ...Array.from(
              { length: 8 },
              (_, i) => `user-${i % 3},item-${i},${base + i * 60},${i % 2 ? 'purchase' : 'click'}`,
            ),
          ];
  return `${rows.join('\n')}\n`;
}
