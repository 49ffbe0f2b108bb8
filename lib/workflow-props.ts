/**
 * The workflow construct's props and their defaults, the limits the construct works within, and the
 * stand-ins for the bucket and role it creates. Their one check is in lib/workflow-props-check.ts.
 */
import { Duration } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { runSecondsNeeded } from '../contract/limits';

export {
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENTS_PER_EXPORT_OVERHEAD,
  HISTORY_EVENTS_PER_POLL,
  RUN_PAYLOAD_BUDGET_BYTES,
  runPayloadBytes,
  worstCaseExportHistoryEvents,
} from '../contract/limits';
import type { ExportSpec, PollingSettings } from '../contract/exports';
import type { PollingStrategy } from '../contract/names';

/** A Glue ML transform whose labels each run exports. */
export interface GlueExportProps {
  /** Unique name of the export: used in events, job names and `exportNames` input. */
  readonly name: string;
  /** @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartExportLabelsTaskRun.html */
  readonly transformId: string;
  /** S3 prefix; each run writes below `<prefix><yyyy-mm-dd>/<execution name>/` using the transform's role. */
  readonly outputS3Prefix: string;
}

/** A Personalize dataset each run exports. */
export interface PersonalizeExportProps {
  readonly name: string;
  /** @see https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html */
  readonly datasetArn: string;
  /**
   * The role Personalize assumes to write the export; it must allow s3:PutObject on the prefix.
   * @default - the role this construct creates, when `createPersonalizeRole` is set (required otherwise)
   */
  readonly roleArn?: string;
  readonly outputS3Prefix: string;
  /** @default 'PUT' - the service's default */
  readonly ingestionMode?: 'BULK' | 'PUT' | 'ALL';
  /** @default - the bucket's own encryption */
  readonly kmsKeyArn?: string;
}

export interface MlExportWorkflowProps {
  /** @default - none */
  readonly glueExports?: readonly GlueExportProps[];
  /** @default - none */
  readonly personalizeExports?: readonly PersonalizeExportProps[];
  /**
   * Bus the export and run events go to.
   * @default - the account's default event bus
   */
  readonly eventBus?: IEventBus;
  /**
   * `source` of every event. Must not start with "aws.".
   * @default 'ml-exports'
   */
  readonly eventSource?: string;
  /** @default - no schedule: runs start by hand or from your own triggers */
  readonly schedule?: ScheduleExpression;
  /** @default Duration.seconds(30) */
  readonly initialPollWait?: Duration;
  /**
   * Factor the wait between status checks grows by after each check.
   * @default 2
   */
  readonly pollBackoffRate?: number;
  /** @default Duration.minutes(6) */
  readonly maxPollWait?: Duration;
  /**
   * "history": before the first wait, the start task looks up the export's recent successful runs and
   * times the checks from them (sleep until shortly before the expected end, check densely around it,
   * then the backoff); with too little or too noisy history it polls as "backoff" does. "backoff": the
   * capped exponential backoff only.
   * @default 'history'
   */
  readonly pollingStrategy?: PollingStrategy;
  /**
   * How long an export may run before it ends as TIMED_OUT.
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
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default - CloudWatch Logs' service key */
  readonly logEncryptionKey?: IKey;
  /**
   * Create the output bucket (see `OutputBucket`). Exports may then give `outputS3Prefix` as a key
   * prefix ("personalize/interactions/") that is placed in this bucket.
   * @default false - exports name their own buckets
   */
  readonly createOutputBucket?: boolean;
  /**
   * Create the role Personalize assumes (see `PersonalizeExportRole`), for Personalize exports that
   * give no `roleArn`.
   * @default false - every Personalize export names its role
   */
  readonly createPersonalizeRole?: boolean;
  /**
   * An existing bucket for exports that give `outputS3Prefix` as a key prefix; its policy must let
   * Personalize write (see `OutputBucket`). Takes the place of `createOutputBucket`.
   * @default - the created bucket with `createOutputBucket`, otherwise none: every prefix is an s3:// URI
   */
  readonly outputBucket?: IBucket;
  /**
   * An existing role Personalize assumes, for Personalize exports that give no `roleArn`; it must trust
   * personalize.amazonaws.com and may write under their prefixes. Takes the place of
   * `createPersonalizeRole`.
   * @default - the created role with `createPersonalizeRole`, otherwise none: every export names its role
   */
  readonly personalizeRole?: IRole;
  /**
   * S3 prefixes that exports given in full in an execution's input may write under, besides the
   * configured exports' own prefixes (key prefixes in the created bucket when `createOutputBucket` is
   * set). Anything else is rejected before a job starts.
   * @default - only the configured exports' prefixes
   */
  readonly allowedOutputS3Prefixes?: readonly string[];
  /**
   * E-mail address for alarm notifications (through an encrypted SNS topic).
   * @default - alarms without notifications
   */
  readonly alarmEmail?: string;
}

/** Stand-ins used to validate exports whose bucket or role this construct creates. */
// As long as the longest bucket name (63), so that path lengths are checked against the worst case.
export const CREATED_BUCKET = 'created-output-bucket'.padEnd(63, '0');
export const CREATED_ROLE = 'created-personalize-export-role';

/**
 * Above this many distinct ARNs, a service permission is granted on a wildcard scoped as narrowly as the
 * ARNs allow (this account's ML transforms, a dataset group's datasets), so that the roles' policies stay
 * within IAM's size limits however many exports are configured.
 */
export const MAX_LISTED_RESOURCES = 40;

/** The props with their defaults filled in. */
export interface WorkflowSettings {
  readonly eventSource: string;
  readonly polling: PollingSettings;
  readonly maxConcurrentGlueExports: number;
  readonly maxConcurrentPersonalizeExports: number;
  /** As asked for (checked against its range). */
  readonly maxConcurrency: number;
  /** As used: more exports in flight than the quotas admit would only wait for capacity. */
  readonly effectiveConcurrency: number;
  readonly runTimeoutSeconds: number;
}

export function workflowSettings(props: MlExportWorkflowProps): WorkflowSettings {
  const polling: PollingSettings = {
    // Not integral here: a fraction of a second is a configuration problem the check reports.
    initialWaitSeconds: (props.initialPollWait ?? Duration.seconds(30)).toSeconds({ integral: false }),
    backoffRate: props.pollBackoffRate ?? 2,
    maxWaitSeconds: (props.maxPollWait ?? Duration.minutes(6)).toSeconds({ integral: false }),
    maxExportSeconds: (props.maxExportDuration ?? Duration.hours(12)).toSeconds({ integral: false }),
    strategy: props.pollingStrategy ?? 'history',
  };
  const glueLimit = props.maxConcurrentGlueExports ?? 30;
  const personalizeLimit = props.maxConcurrentPersonalizeExports ?? 5;
  const maxConcurrency = props.maxConcurrency ?? 10;
  const effectiveConcurrency = Math.min(maxConcurrency, glueLimit + personalizeLimit);
  const configuredCount = (props.glueExports?.length ?? 0) + (props.personalizeExports?.length ?? 0);
  return {
    eventSource: props.eventSource ?? 'ml-exports',
    polling,
    maxConcurrentGlueExports: glueLimit,
    maxConcurrentPersonalizeExports: personalizeLimit,
    maxConcurrency,
    effectiveConcurrency,
    runTimeoutSeconds: runSecondsNeeded(
      Math.max(configuredCount, effectiveConcurrency),
      effectiveConcurrency,
      polling.maxExportSeconds,
    ),
  };
}

export function usesCreatedRole(spec: ExportSpec): boolean {
  return spec.type === 'personalize' && spec.roleArn.endsWith(`:role/${CREATED_ROLE}`);
}

/**
 * The spec with the created bucket and role in place of the stand-ins it was validated with: their
 * deployed names (tokens) for the grants, or the catalog's placeholders for them.
 */
export function withCreated(spec: ExportSpec, created: { bucket?: string; roleArn?: string }): ExportSpec {
  const outputS3Prefix = created.bucket
    ? spec.outputS3Prefix.replace(`s3://${CREATED_BUCKET}/`, `s3://${created.bucket}/`)
    : spec.outputS3Prefix;
  return spec.type === 'personalize' && created.roleArn && usesCreatedRole(spec)
    ? { ...spec, outputS3Prefix, roleArn: created.roleArn }
    : { ...spec, outputS3Prefix };
}
