/**
 * The workflow's data contract. The run-level state machine prepares a list of {@link ExportTask}s; each
 * export then flows through its own loop as one {@link ExportState}, and every task adds its result under
 * its own key (`tracking`, `outcome`), so a state always says where the export stands.
 */

export type { ExportOutcome, ExportType, IngestionMode, PollingStrategy } from '../../contract/names';
export type {
  ExportSpec,
  GlueExportSpec,
  PersonalizeExportSpec,
  PollingSettings,
} from '../../contract/exports';
import type { ExportOutcome, ExportType } from '../../contract/names';
import type {
  ExportSpec,
  GlueExportSpec,
  PersonalizeExportSpec,
  PollingSettings,
} from '../../contract/exports';

/** The export's recent successful runs, in seconds from job start to end: a few numbers, never the list. */
export interface HistorySummary {
  readonly samples: number;
  /** A low quantile (p10), the median and a high quantile (p90) of the durations. */
  readonly lowSeconds: number;
  readonly expectedSeconds: number;
  readonly highSeconds: number;
}

/** The execution the exports belong to. */
export interface RunContext {
  readonly executionName: string;
  readonly executionArn: string;
  readonly startTime: string;
  readonly polling: PollingSettings;
}

/**
 * An export as a run's list carries it: a configured export by type and name only (the start task looks
 * the rest up in the export catalog bundled with the handlers), or an export given in the execution input
 * in full. Keeping configured exports this small is what lets one run carry thousands of them within
 * Step Functions' 256 KiB state payload.
 */
export type ExportItem = Pick<ExportSpec, 'type' | 'name'> | ExportSpec;

/** One export of one run: the spec plus where this run writes and, for Personalize, the job name. */
export type ExportTask = (GlueExportSpec | (PersonalizeExportSpec & { readonly jobName: string })) & {
  readonly outputS3Path: string;
};

/**
 * Where the job stands after a check: still RUNNING, an outcome, or RESTART: the job was cancelled by the
 * clean-up of a stopped run before the run was redriven, so the redriven export starts a new one.
 */
export type TrackingOutcome = Exclude<ExportOutcome, 'STOPPED'> | 'RUNNING' | 'RESTART';

export interface GlueJobRef {
  readonly taskRunId: string;
}
export interface PersonalizeJobRef {
  readonly datasetExportJobArn: string;
  readonly jobName: string;
}

/** What the start and status tasks know about the export's job. */
export interface Tracking {
  readonly job: GlueJobRef | PersonalizeJobRef;
  /** true when a job started earlier for this export (a retry or a redrive) was adopted instead of a new one. */
  readonly adopted: boolean;
  /** When the workflow started (or adopted) the job; the export's time limit counts from here. */
  readonly trackingStartedAt: string;
  readonly deadline: string;
  readonly polls: number;
  /** Seconds the Wait state waits before the next status check. */
  readonly waitSeconds: number;
  readonly outcome: TrackingOutcome;
  /** The service's own status string (Glue Status / Personalize status). */
  readonly serviceStatus?: string;
  /** The service's error text (ErrorString / failureReason). */
  readonly serviceError?: string;
  readonly jobStartedAt?: string;
  readonly jobCompletedAt?: string;
  readonly lastCheckedAt?: string;
  /** The export's past durations, when the start task found them (history-aware polling). */
  readonly history?: HistorySummary;
  /** On TIMED_OUT: whether the workflow stopped the job (Glue CancelMLTaskRun), and why not when it could not. */
  readonly jobCancelled?: boolean;
  readonly cancelError?: string;
}

/**
 * An export whose start the service refused for lack of capacity (a concurrency quota of the account is
 * full): it waits on the polling clock and tries the start again, within the export's own time limit.
 */
export interface CapacityWait {
  /** WAITING until a start attempt succeeds; TIMED_OUT when the time limit passed without a slot. */
  readonly outcome: 'WAITING' | 'TIMED_OUT';
  /** The first refused attempt: the export's time limit counts from here. */
  readonly since: string;
  readonly deadline: string;
  /** Start attempts refused so far. */
  readonly attempts: number;
  /** Seconds before the next attempt. */
  readonly waitSeconds: number;
  /** The service's last refusal, as "<error name>: <message>". */
  readonly lastRefusal: string;
}

/** A Step Functions Catch result. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** The state one export carries through its loop, once its start task has resolved the item. */
export interface ExportState {
  readonly export: ExportTask;
  readonly run: RunContext;
  readonly tracking?: Tracking;
  /** Present once a start was refused for lack of capacity (kept after the job starts, for the event). */
  readonly capacity?: CapacityWait;
  readonly error?: CaughtError;
}

/** The state a child execution starts with: the export as the run's list carries it. */
export interface ItemState extends Omit<ExportState, 'export'> {
  readonly export: ExportItem | ExportTask;
}

/** What a finished export reports to the run. */
export interface ExportResult {
  readonly name: string;
  readonly type: ExportType;
  readonly outcome: ExportOutcome;
}

/** An EventBridge entry's detail-type and detail, emitted by the state machine's putEvents states. */
export interface EventEnvelope<D> {
  readonly detailType: string;
  readonly detail: D;
}
