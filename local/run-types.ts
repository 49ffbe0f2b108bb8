/** The options and the result of a local run (local/run.ts). */
import type { PermissionsReport } from './access/report';
import type { RunFolder } from './run-folder';
import type { CallRecord, FaultRule, JobFate, World } from './stand-in/aws-stand-in';

export interface LocalRunOptions {
  /** The cloud assembly (`cdk.out`) to run. */
  readonly assemblyDir: string;
  /** The execution input, as an operator would paste it in the console. */
  readonly input: unknown;
  readonly executionName?: string;
  /** Simulated start of the execution. @default now */
  readonly startTime?: Date;
  readonly region?: string;
  /** The account the stack is deployed in. @default 123456789012 */
  readonly account?: string;
  readonly world: World;
  readonly fates?: Readonly<Record<string, JobFate>>;
  readonly faults?: readonly FaultRule[];
  /** putEvents calls that fail before EventBridge accepts events again. */
  readonly eventBusFailures?: number;
  /**
   * Folder for the local runs' files: each execution writes under its own folder of it,
   * `<outDir>/<execution name>/s3/<bucket>/<key>`, emptied first (local/run-folder.ts).
   */
  readonly outDir: string;
  /** The run's folder, when the caller has claimed it already (it is then the caller's to release). */
  readonly runFolder?: RunFolder;
  /** Called for each step worth showing a person. */
  readonly onProgress?: (line: ProgressLine) => void;
  /** When the execution fails in its Map state, redrive it once, as from the console. @default false */
  readonly redrive?: boolean;
  /** Powertools log level for the handlers. @default 'SILENT' */
  readonly handlerLogLevel?: string;
  /**
   * Stop the execution at this simulated time: StopExecution (ABORTED) or the state machine's timeout
   * (TIMED_OUT). The clean-up of the ended run follows, as the deployed rule would invoke it.
   * @default - the run goes to its end
   */
  readonly stop?: { readonly afterSeconds: number; readonly status: 'ABORTED' | 'TIMED_OUT' };
  /**
   * The cloud assembly whose clean-up function handles the ended run: the configuration deployed by then.
   * @default - the assembly that ran
   */
  readonly cleanupAssemblyDir?: string;
}

export interface ProgressLine {
  readonly simSeconds: number;
  readonly exportName?: string;
  readonly text: string;
  /** 'state' for a state entered; otherwise what a task, check or event did. */
  readonly kind?: 'state';
}

/** An event as it would reach EventBridge (the envelope rules match on), and where it went. */
export interface CapturedEvent {
  readonly simSeconds: number;
  readonly eventBusName: string;
  readonly event: {
    readonly version: '0';
    readonly id: string;
    readonly 'detail-type': string;
    readonly source: string;
    readonly account: string;
    readonly time: string;
    readonly region: string;
    readonly resources: string[];
    readonly detail: Record<string, unknown>;
  };
}

export interface ExportReport {
  readonly name: string;
  readonly type: string;
  /** From the export's last event; absent when it got none (e.g. EventBridge refused it). */
  readonly outcome?: string;
  /** The last state its child execution entered. */
  readonly lastState?: string;
  readonly polls: number;
  readonly simulatedSeconds?: number;
  readonly outputS3Path?: string;
  readonly error?: string;
  readonly events: number;
}

export interface LocalRunResult {
  readonly executionName: string;
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  readonly error?: { readonly error: string; readonly cause: string };
  /** The top-level state the execution failed in: where a redrive would resume. */
  readonly failedState?: string;
  /** With `redrive`: how the first attempt ended, before the redrive. */
  readonly firstAttempt?: {
    readonly failedState: string;
    readonly error: { readonly error: string; readonly cause: string };
    readonly simulatedSeconds: number;
  };
  /** With `redrive`, why there was nothing to redrive (the execution did not fail in its export map). */
  readonly redriveSkipped?: string;
  /**
   * Each time the run ended stopped, timed out or failed: what the clean-up the deployed rule invokes did
   * (after the first attempt, and after a redrive that did not succeed).
   */
  readonly cleanups?: CleanupResult[];
  readonly output?: unknown;
  readonly simulatedSeconds: number;
  /** The folder this execution's files were written under (`<outDir>/<execution name>`). */
  readonly runDir: string;
  readonly events: CapturedEvent[];
  readonly exports: ExportReport[];
  readonly counts: {
    readonly stateTransitions: number;
    readonly lambdaInvocations: number;
    readonly retries: number;
    /** Estimated Step Functions history events, all executions together (see HISTORY_EVENTS_BY_STATE). */
    readonly historyEvents: number;
    /** The largest input any state received, in bytes (Step Functions' limit is 256 KiB). */
    readonly largestStateInputBytes: number;
    /** Estimated history events of the run's own execution, and of the largest export's child execution. */
    readonly runHistoryEvents: number;
    readonly largestExportHistoryEvents: number;
    readonly glueTaskRunsStarted: number;
    readonly personalizeJobsCreated: number;
  };
  readonly calls: CallRecord[];
  /** Each Glue task run and where it ends up (a cancelled one STOPPED); `other`: not this run's. */
  readonly glueTaskRuns: { transformId: string; taskRunId: string; status: string; other?: true }[];
  /** This execution's files, relative to `runDir`. */
  readonly filesWritten: string[];
  /** What the run was allowed and denied, by whom and why, checked from the template (local/access/). */
  readonly permissions: PermissionsReport;
}

/** What the clean-up of the ended run did. */
export interface CleanupResult {
  /** The execution status the rule was given. */
  readonly executionStatus: string;
  readonly attempts: number;
  /** The function's report, when an attempt succeeded. */
  readonly report?: Record<string, unknown>;
  /** The last attempt's error, when none succeeded. */
  readonly error?: string;
  /** Where the event went after the last failed attempt (the dead-letter queue's logical id). */
  readonly deadLetterQueue?: string;
  /** The calls the clean-up made (the run's own are the run result's `calls`). */
  readonly calls?: CallRecord[];
  /** The clean-up's permissions, when it is another deployment's (`cleanupAssemblyDir`). */
  readonly permissions?: PermissionsReport;
}
