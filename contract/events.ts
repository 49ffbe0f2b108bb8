/**
 * The event contract, written once with zod: the detail of each detail-type the workflow emits. The
 * handlers take their detail types from here (type-only imports, so zod stays out of their bundles), and
 * lib/event-schemas.ts publishes the JSON Schemas generated from the same schemas to the EventBridge
 * schema registry, which the local run checks every event against.
 * @see https://zod.dev/json-schema
 */
import * as z from 'zod';
import {
  ENDED_RUN_STATUSES,
  EXPORT_DETAIL_TYPES,
  EXPORT_OUTCOMES,
  EXPORT_TYPES,
  INGESTION_MODES,
  RUN_DETAIL_TYPES,
  STOPPED_JOB_STATES,
  type DetailType,
} from './names';

const time = z.iso.datetime({ offset: true });
const count = z.int().min(0);
const s3Uri = z.string().regex(/^s3:\/\//);

export const errorDetailSchema = z
  .strictObject({
    type: z.string().describe('The error name: ExportJobFailed, ExportTimedOut, PermanentServiceError, ...'),
    message: z.string().describe("What happened, with the service's own message where there is one"),
  })
  .describe('Why the export or run did not succeed');

/** The fields every export event may carry, before each outcome narrows them. */
export const exportDetail = z.strictObject({
  exportName: z.string().describe('The export, as configured or given in the execution input'),
  exportType: z.enum(EXPORT_TYPES).describe('Which service exported it'),
  outcome: z.enum(EXPORT_OUTCOMES).describe('How the export ended'),
  outputS3Path: s3Uri
    .optional()
    .describe(
      "Where this run's files are (or would have been): absent only when the export was removed from the configuration while its run was under way",
    ),
  transformId: z.string().optional().describe('Glue: the ML transform'),
  taskRunId: z.string().optional().describe('Glue: the task run, once it exists'),
  datasetArn: z.string().optional().describe('Personalize: the dataset'),
  datasetExportJobArn: z.string().optional().describe('Personalize: the dataset export job, once it exists'),
  jobName: z
    .string()
    .optional()
    .describe('Personalize: the job name, mlx-<length>-<export>-<execution>-<hash>'),
  ingestionMode: z.enum(INGESTION_MODES).optional().describe('Personalize: which records were exported'),
  serviceStatus: z.string().optional().describe("The service's last status string"),
  startedAt: time
    .optional()
    .describe('When the job started, as the service reports it (or when the workflow began tracking it)'),
  completedAt: time
    .optional()
    .describe(
      'When the service reported the job completed (Glue CompletedOn; Personalize lastUpdatedDateTime of an ACTIVE or CREATE FAILED job): absent for a time-out, a stop, or a start or check that failed',
    ),
  durationSeconds: count
    .optional()
    .describe('From startedAt to completedAt: only for a job the service reported completed'),
  pollCount: count.describe('Status checks made'),
  waitedForCapacitySeconds: count
    .optional()
    .describe(
      "Only when a start was refused for capacity: seconds the export waited for a slot of the account's quota",
    ),
  adoptedExistingJob: z
    .boolean()
    .describe('True when a retried or redriven start found and adopted the job an earlier attempt created'),
  jobCancelled: z
    .boolean()
    .optional()
    .describe(
      'Time-outs and stops: true when the Glue task run was cancelled; false when none was (the cancel failed, no job had started, or Personalize, which has no stop call)',
    ),
  error: errorDetailSchema.optional(),
  executionName: z.string().describe('The run (Step Functions execution)'),
  executionArn: z.string().describe('The run (Step Functions execution)'),
});

/** The detail of an export event, whatever its outcome. */
export type ExportEventDetail = z.infer<typeof exportDetail>;

/** Each outcome's detail: what it requires beyond the common fields. */
export const EXPORT_EVENT_DETAILS = {
  SUCCEEDED: exportDetail
    .extend({ outcome: z.literal('SUCCEEDED'), outputS3Path: s3Uri })
    .describe(
      'The export job ended successfully (Glue SUCCEEDED, Personalize ACTIVE): its files are at outputS3Path',
    ),
  FAILED: exportDetail
    .extend({ outcome: z.literal('FAILED'), error: errorDetailSchema })
    .describe(
      'The job failed (Glue FAILED, TIMEOUT or STOPPED; Personalize CREATE FAILED; any unknown status), or starting or checking it failed for good (not found, invalid, access denied, transient errors past their retries)',
    ),
  TIMED_OUT: exportDetail
    .extend({
      outcome: z.literal('TIMED_OUT'),
      outputS3Path: s3Uri,
      error: errorDetailSchema,
      jobCancelled: z.boolean(),
    })
    .describe(
      "Still running at the export's time limit: the workflow stopped waiting and cancelled a Glue task run (a Personalize job cannot be stopped)",
    ),
  /** The run ended before the export did: sent once by the clean-up of the ended run. */
  STOPPED: exportDetail
    .extend({
      outcome: z.literal('STOPPED'),
      error: errorDetailSchema,
      jobCancelled: z.boolean(),
      jobState: z
        .enum(STOPPED_JOB_STATES)
        .describe(
          'What became of the job: CANCELLED (the Glue task run was cancelled), STILL_RUNNING (a Personalize job, or a cancel that failed), ENDED (it had ended on its own: serviceStatus), NOT_STARTED',
        ),
    })
    .describe(
      'Its run ended before the export did (stopped, timed out, or failed in one of its own steps): sent once by the clean-up of the ended run, saying what became of the job',
    ),
};

/** The detail of an ML Export Stopped event. */
export type StoppedExportEventDetail = z.infer<typeof EXPORT_EVENT_DETAILS.STOPPED>;

export const exportEventDetailSchema = z.discriminatedUnion('outcome', [
  EXPORT_EVENT_DETAILS.SUCCEEDED,
  EXPORT_EVENT_DETAILS.FAILED,
  EXPORT_EVENT_DETAILS.TIMED_OUT,
  EXPORT_EVENT_DETAILS.STOPPED,
]);

const exportNames = z.array(z.string()).max(100);

/** The fields every run event may carry, before each status narrows them. */
export const runDetail = z.strictObject({
  executionName: z.string().describe('The run (Step Functions execution)'),
  executionArn: z.string().describe('The run (Step Functions execution)'),
  status: z.enum(['SUCCEEDED', 'FAILED', 'REJECTED', 'SKIPPED']).describe('How the run ended'),
  startedAt: time.describe('When the execution started'),
  completedAt: time.describe('When the run ended'),
  durationSeconds: count.describe('From startedAt to completedAt'),
  exportCount: count.describe('Exports the run had'),
  succeeded: count.describe('Exports that succeeded'),
  failed: count.describe('Exports that failed'),
  timedOut: count.describe('Exports that timed out'),
  failedExports: exportNames.describe('Names of the exports that failed (at most 100: see resultsManifest)'),
  timedOutExports: exportNames.describe('Names of the exports that timed out (at most 100)'),
  resultsManifest: s3Uri
    .optional()
    .describe(
      "Where every export's result is (the Map's ResultWriter manifest), beyond the names listed here",
    ),
  lateEvents: count
    .optional()
    .describe(
      'Export events EventBridge refused during the run, or owed by failed child executions, delivered just before this event',
    ),
  error: errorDetailSchema.optional(),
});

/** The detail of a run event, whatever its status. */
export type RunEventDetail = z.infer<typeof runDetail>;

export const RUN_EVENT_DETAILS = {
  completed: runDetail
    .extend({ status: z.enum(['SUCCEEDED', 'FAILED']) })
    .describe(
      'Once per run, after every export event: counts, and the names of exports that did not succeed',
    ),
  rejected: runDetail
    .extend({ status: z.literal('REJECTED'), error: errorDetailSchema })
    .describe('Once, when the execution input was invalid: no job was started'),
  skipped: runDetail
    .extend({ status: z.literal('SKIPPED'), error: errorDetailSchema })
    .describe(
      'Once, when an earlier execution still running exports any of the same transforms or datasets: no job was started, and the execution succeeds',
    ),
  /**
   * A run that ended without its own run event: the execution's status, where it stood (`failedState`), why,
   * and how many of its exports were still unfinished (`stopped`, each with its own ML Export Stopped).
   */
  stopped: runDetail
    .extend({
      status: z.enum(ENDED_RUN_STATUSES),
      stopped: count.describe(
        'Exports still unfinished when the run ended, each with its own ML Export Stopped',
      ),
      stoppedExports: exportNames.describe('Names of those exports (at most 100)'),
      failedState: z.string().optional().describe('The state the run was in when it ended'),
      error: errorDetailSchema,
    })
    .describe(
      'Once, sent by the clean-up after the ML Export Stopped events, for a run that ended without its own run event: ABORTED, TIMED_OUT or FAILED in one of its own steps',
    ),
};

/** The detail of the run event the clean-up sends for a run that ended without its own. */
export type StoppedRunEventDetail = z.infer<typeof RUN_EVENT_DETAILS.stopped>;

/** The detail schema of each detail-type. */
export const EVENT_DETAILS: Record<DetailType, z.ZodType> = {
  [EXPORT_DETAIL_TYPES.SUCCEEDED]: EXPORT_EVENT_DETAILS.SUCCEEDED,
  [EXPORT_DETAIL_TYPES.FAILED]: EXPORT_EVENT_DETAILS.FAILED,
  [EXPORT_DETAIL_TYPES.TIMED_OUT]: EXPORT_EVENT_DETAILS.TIMED_OUT,
  [EXPORT_DETAIL_TYPES.STOPPED]: EXPORT_EVENT_DETAILS.STOPPED,
  [RUN_DETAIL_TYPES.completed]: RUN_EVENT_DETAILS.completed,
  [RUN_DETAIL_TYPES.rejected]: RUN_EVENT_DETAILS.rejected,
  [RUN_DETAIL_TYPES.skipped]: RUN_EVENT_DETAILS.skipped,
  [RUN_DETAIL_TYPES.stopped]: RUN_EVENT_DETAILS.stopped,
};

export type JsonSchema = Record<string, unknown>;

/**
 * The OpenAPI 3 (JSON Schema) form of a detail schema, as the EventBridge schema registry takes it. The
 * generator's own spellings of a date-time (a pattern beside `format`) and of an integer (JavaScript's
 * safe maximum) are left out: `format: date-time` and `minimum: 0` say what the contract means.
 */
export function detailJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    override: ({ jsonSchema }) => {
      const s = jsonSchema as JsonSchema;
      if (s.format === 'date-time') delete s.pattern;
      if (s.type === 'integer' && s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
    },
  }) as JsonSchema;
}
