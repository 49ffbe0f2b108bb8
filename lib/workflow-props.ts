/**
 * The workflow construct's props. Their defaults and rules are the contract's (contract/workflow.ts,
 * contract/exports.ts): the construct checks its props with the same schema as the configuration file.
 */
import type { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { IngestionMode, PollingStrategy } from './enums';
import type { ExportLocation } from './export-location';

/** A Glue ML transform whose labels each run exports. */
export interface GlueExportProps {
  /**
   * Unique name of the export within the workflow: used in events, job names and the `exportNames` input.
   * 1-40 letters, digits, "-" or "_", starting with a letter or digit.
   */
  readonly name: string;
  /**
   * The ML transform; Glue writes the labels with the transform's own role.
   * @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartExportLabelsTaskRun.html
   */
  readonly transformId: string;
  /** Where the labels go; each run writes below `<prefix><yyyy-mm-dd>/<execution name>/`. */
  readonly output: ExportLocation;
}

/** A Personalize dataset each run exports. */
export interface PersonalizeExportProps {
  /** Unique name of the export within the workflow (see `GlueExportProps.name`). */
  readonly name: string;
  /**
   * The dataset, in the stack's region and account.
   * @see https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html
   */
  readonly datasetArn: string;
  /** Where the export goes; each run writes below `<prefix><yyyy-mm-dd>/<execution name>/`. */
  readonly output: ExportLocation;
  /**
   * The role Personalize assumes to write the export (trusting personalize.amazonaws.com, allowed
   * s3:PutObject under the location), in the stack's account.
   * @default - the workflow's `personalizeRole`
   */
  readonly role?: IRole;
  /**
   * Which records to export.
   * @default IngestionMode.PUT - the service's default
   */
  readonly ingestionMode?: IngestionMode;
  /**
   * The KMS key Personalize encrypts the export with, in the stack's region (a key of another account
   * needs a key policy that lets the role use it).
   * @default - the bucket's own encryption
   */
  readonly encryptionKey?: IKey;
}

export interface MlExportWorkflowProps {
  /**
   * Glue ML transforms whose labels each run exports.
   * @default - none (at least one Glue or Personalize export is required)
   */
  readonly glueExports?: GlueExportProps[];
  /**
   * Personalize datasets each run exports.
   * @default - none (at least one Glue or Personalize export is required)
   */
  readonly personalizeExports?: PersonalizeExportProps[];
  /**
   * The bus the export and run events go to, in the stack's region. A bus of another account is sent
   * to by its ARN (its policy must let this account put events); rules on it are that account's to make,
   * see `eventPattern()` and `forwardedEventBus`.
   * @default - the account's default event bus
   */
  readonly eventBus?: IEventBus;
  /**
   * With an `eventBus` of another account: the bus of this stack's account that bus forwards this
   * workflow's events to (a rule of the bus's owner with `eventPattern()` as its pattern). The export
   * metrics are counted from it, and the `on*()` methods make their rules on it.
   * @default - with a bus of another account, none: the export metrics stay empty and `on*()` throws
   */
  readonly forwardedEventBus?: IEventBus;
  /**
   * `source` of every event: 1-256 characters, not starting with "aws.".
   * @default 'ml-exports'
   */
  readonly eventSource?: string;
  /**
   * When to run every export (input `{}`), through EventBridge Scheduler.
   * @default - no schedule: runs start by hand or from your own triggers
   */
  readonly schedule?: ScheduleExpression;
  /**
   * Wait before an export's first status check (whole seconds, 1 s to 1 hour).
   * @default Duration.seconds(30)
   */
  readonly initialPollWait?: Duration;
  /**
   * Factor the wait between status checks grows by after each check (1 to 10).
   * @default 2
   */
  readonly pollBackoffRate?: number;
  /**
   * Longest wait between two status checks (whole seconds, at least `initialPollWait`, at most a day).
   * @default Duration.minutes(6)
   */
  readonly maxPollWait?: Duration;
  /**
   * How the status checks are timed.
   * @default PollingStrategy.HISTORY
   */
  readonly pollingStrategy?: PollingStrategy;
  /**
   * How long an export may run before it ends as TIMED_OUT (whole seconds, 1 minute to 7 days).
   * @default Duration.hours(12)
   */
  readonly maxExportDuration?: Duration;
  /**
   * Exports of one run that go at the same time (child executions of the Distributed Map).
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Glue ML task runs this workflow may have running at once: the account's quota "Max concurrent ML task
   * runs per account" (adjustable; https://docs.aws.amazon.com/general/latest/gr/glue.html), less what
   * other applications use. With `maxConcurrentPersonalizeExports` it paces a run: the Map runs at most
   * their sum at once, Glue and Personalize exports interleaved in their ratio, and a start the quota
   * still refuses waits for capacity.
   * @default 30
   */
  readonly maxConcurrentGlueExports?: number;
  /**
   * Personalize dataset export jobs this workflow may have unfinished at once (Personalize refuses more
   * than 5 resources of a kind with PENDING or IN_PROGRESS status;
   * https://docs.aws.amazon.com/personalize/latest/dg/limits.html).
   * @default 5
   */
  readonly maxConcurrentPersonalizeExports?: number;
  /**
   * Retention of the state machine's, functions' and export events' logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * KMS key for those logs, in the stack's region; its key policy must let CloudWatch Logs use it.
   * @default - CloudWatch Logs' service key
   */
  readonly logEncryptionKey?: IKey;
  /**
   * The bucket an export given in an execution's input with a key prefix (`"outputS3Prefix": "adhoc/"`)
   * writes to, for example an `ExportBucket`.
   * @default - exports in the input give S3 URIs
   */
  readonly outputBucket?: IBucket;
  /**
   * The role Personalize assumes for Personalize exports without a `role`, and for exports given in an
   * execution's input without `roleArn`; it must trust personalize.amazonaws.com and may write where they
   * write.
   * @default - when a Personalize export has no `role`, a role is created for them: trusted by Personalize for
   * this account's resources only, allowed to write under the locations Prepare Run admits, and to use the
   * exports' KMS keys
   */
  readonly personalizeRole?: IRole;
  /**
   * Where exports given in full in an execution's input may write, besides the configured exports' own
   * locations. Anything else is rejected before a job starts.
   * @default - only the configured exports' locations
   */
  readonly allowedOutputLocations?: ExportLocation[];
  /**
   * What each of the workflow's alarms does when it goes into ALARM (for example an `SnsAction`).
   * @default - alarms without actions
   */
  readonly alarmActions?: IAlarmAction[];
  /**
   * Name of the CloudWatch dashboard: 1-255 letters, digits, "-" or "_", unique in the account (a
   * dashboard of the same name is replaced).
   * @default - a name CloudFormation makes unique
   */
  readonly dashboardName?: string;
}

/** The workflow's Lambda functions, one per task. */
export interface WorkflowFunctions {
  /** Validates a run's input and lists its exports. */
  readonly prepareRun: IFunction;
  /** Starts (or adopts) a Glue ML transform label export task run. */
  readonly startGlueExport: IFunction;
  /** Checks a Glue task run. */
  readonly checkGlueExport: IFunction;
  /** Creates (or adopts) a Personalize dataset export job. */
  readonly startPersonalizeExport: IFunction;
  /** Checks a Personalize dataset export job. */
  readonly checkPersonalizeExport: IFunction;
  /** Turns an export's outcome into its terminal event. */
  readonly finalizeExport: IFunction;
  /** Reads a run's export results, delivers held export events, and makes the run event. */
  readonly summarizeRun: IFunction;
}
