/**
 * A local stand-in for the AWS APIs the workflow calls: Glue and Personalize (their jobs), Step Functions
 * (the run's own executions and the state machine's other runs) and EventBridge's PutEvents, speaking awsJson 1.1, and S3's GetObject
 * (REST, path-style) for the result files the Distributed Map writes; all on 127.0.0.1, so the real SDK v3
 * clients in the bundled handlers talk to it unchanged (through AWS_ENDPOINT_URL_GLUE, ...).
 *
 * Jobs move through their real statuses on the (simulated) clock, requests are validated as the services
 * do, errors come back as modeled errors, and finished jobs write CSV files of the services' shapes under
 * a local folder that mirrors S3 (`<outDir>/s3/<bucket>/<key>`). Faults are injected per operation.
 *
 * This class puts the pieces together: the HTTP server (server.ts), one module per service, the world
 * (world.ts), the faults (faults.ts) and the local S3 folder (local-files.ts).
 */
import type { AccessGuard } from './access-guard';
import { EventBridgeStandIn, type PutEventsHandler } from './event-bridge';
import { ExecutionRecords } from './executions';
import { Faults, type FaultRule } from './faults';
import { GlueStandIn, type GlueTaskRun } from './glue';
import { LocalS3Folder } from './local-files';
import { PersonalizeStandIn, type PersonalizeJob } from './personalize';
import { S3StandIn } from './s3';
import { AwsHttpServer, type CallRecord } from './server';
import { StepFunctionsStandIn } from './step-functions';
import { Account, type JobFate, type SelfExecution, type World } from './world';

export type { FaultRule } from './faults';
export type { CallRecord } from './server';
export { DEFAULT_QUOTAS } from './world';
export type { JobFate, PastRuns, Quotas, SelfExecution, World } from './world';
export type { ExecutionRecord, MapRunRecord } from './executions';

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
  readonly onPutEvents?: PutEventsHandler;
  /** Called on every request start and end, so the simulated clock knows when the stand-in is busy. */
  readonly onActivity?: (inFlight: number) => void;
  /**
   * Whether AWS would allow each call, as the caller that signed it, and each export's writes as its role.
   * @default every call is answered (the stand-in's own tests)
   */
  readonly access?: AccessGuard;
}

export class AwsStandIn {
  readonly calls: CallRecord[];
  readonly glueRuns: GlueTaskRun[];
  readonly personalizeJobs: PersonalizeJob[];
  readonly filesWritten: string[];
  /** The local run's executions (the run, its Map Runs, their children) as Step Functions keeps them. */
  readonly executions = new ExecutionRecords();
  private readonly glue: GlueStandIn;
  private readonly personalize: PersonalizeStandIn;
  private readonly s3: S3StandIn;
  private readonly server: AwsHttpServer;

  constructor(options: StandInOptions) {
    const account = new Account(options.world, options.fates, options.self);
    const files = new LocalS3Folder(options.outDir);
    this.glue = new GlueStandIn(account, files);
    this.personalize = new PersonalizeStandIn(account, files, options.access);
    this.s3 = new S3StandIn(files);
    this.server = new AwsHttpServer({
      operations: new Map([
        ...this.glue.operations(),
        ...this.personalize.operations(),
        ...new StepFunctionsStandIn(options.world, this.executions, options.self).operations(),
        ...new EventBridgeStandIn(options.onPutEvents).operations(),
      ]),
      rest: this.s3,
      faults: new Faults(options.faults),
      access: options.access,
      afterJsonCall: () => this.materialize(),
      onActivity: options.onActivity,
    });
    this.calls = this.server.calls;
    this.glueRuns = this.glue.runs;
    this.personalizeJobs = this.personalize.jobs;
    this.filesWritten = files.filesWritten;
  }

  /** Listens on a free port of 127.0.0.1 only; returns the endpoint URL. */
  start(): Promise<string> {
    return this.server.start();
  }

  async stop(): Promise<void> {
    this.materialize();
    await this.server.stop();
  }

  /** Writes the files of every job that has finished by now. */
  materialize(): void {
    const now = Date.now();
    this.glue.materialize(now);
    this.personalize.materialize(now);
  }

  /** An object, as S3 would store it; also written under the local S3 folder for people to look at. */
  putObject(bucket: string, key: string, content: string): void {
    this.s3.putObject(bucket, key, content);
  }

  /** Where each task run ends up once nothing more happens: a cancelled one STOPPED, a stuck one RUNNING. */
  glueRunsSettled(): { transformId: string; taskRunId: string; status: string }[] {
    return this.glue.settled();
  }
}
