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

export const errorDetailSchema = z.strictObject({ type: z.string(), message: z.string() });

const exportDetail = z.strictObject({
  exportName: z.string(),
  exportType: z.enum(EXPORT_TYPES),
  outcome: z.enum(EXPORT_OUTCOMES),
  /** Absent only when the export failed before it could be resolved (no longer configured). */
  outputS3Path: s3Uri.optional(),
  transformId: z.string().optional(),
  taskRunId: z.string().optional(),
  datasetArn: z.string().optional(),
  datasetExportJobArn: z.string().optional(),
  jobName: z.string().optional(),
  ingestionMode: z.enum(INGESTION_MODES).optional(),
  serviceStatus: z.string().optional(),
  startedAt: time.optional(),
  /** When the service reported the job completed (Glue CompletedOn, Personalize ACTIVE / CREATE FAILED). */
  completedAt: time.optional(),
  /** From startedAt to completedAt: only for a job the service reported completed. */
  durationSeconds: count.optional(),
  pollCount: count,
  /** Seconds the export waited for a free slot of the account's concurrency quota before its job started. */
  waitedForCapacitySeconds: count.optional(),
  adoptedExistingJob: z.boolean(),
  /** TIMED_OUT and STOPPED: whether the workflow stopped the job (Glue), never for Personalize (no stop call). */
  jobCancelled: z.boolean().optional(),
  error: errorDetailSchema.optional(),
  executionName: z.string(),
  executionArn: z.string(),
});

/** The detail of an export event, whatever its outcome. */
export type ExportEventDetail = z.infer<typeof exportDetail>;

/** Each outcome's detail: what it requires beyond the common fields. */
export const EXPORT_EVENT_DETAILS = {
  SUCCEEDED: exportDetail.extend({ outcome: z.literal('SUCCEEDED'), outputS3Path: s3Uri }),
  FAILED: exportDetail.extend({ outcome: z.literal('FAILED'), error: errorDetailSchema }),
  TIMED_OUT: exportDetail.extend({
    outcome: z.literal('TIMED_OUT'),
    outputS3Path: s3Uri,
    error: errorDetailSchema,
    jobCancelled: z.boolean(),
  }),
  /** The run ended before the export did: sent once by the clean-up of the ended run. */
  STOPPED: exportDetail.extend({
    outcome: z.literal('STOPPED'),
    error: errorDetailSchema,
    jobCancelled: z.boolean(),
    /** What became of the job when the run ended (see STOPPED_JOB_STATES). */
    jobState: z.enum(STOPPED_JOB_STATES),
  }),
};

/** The detail of an ML Export Stopped event. */
export type StoppedExportEventDetail = z.infer<typeof EXPORT_EVENT_DETAILS.STOPPED>;

export const exportEventDetailSchema = z.discriminatedUnion('outcome', [
  EXPORT_EVENT_DETAILS.SUCCEEDED,
  EXPORT_EVENT_DETAILS.FAILED,
  EXPORT_EVENT_DETAILS.TIMED_OUT,
  EXPORT_EVENT_DETAILS.STOPPED,
]);

const runDetail = z.strictObject({
  executionName: z.string(),
  executionArn: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED', 'REJECTED', 'SKIPPED']),
  startedAt: time,
  completedAt: time,
  durationSeconds: count,
  exportCount: count,
  succeeded: count,
  failed: count,
  timedOut: count,
  failedExports: z.array(z.string()).max(100),
  timedOutExports: z.array(z.string()).max(100),
  /** Where every export's result is (the Map's ResultWriter manifest), beyond the names listed here. */
  resultsManifest: s3Uri.optional(),
  /** Export events EventBridge refused during the run, or owed by failed child executions, delivered now. */
  lateEvents: count.optional(),
  error: errorDetailSchema.optional(),
});

/** The detail of a run event, whatever its status. */
export type RunEventDetail = z.infer<typeof runDetail>;

export const RUN_EVENT_DETAILS = {
  completed: runDetail.extend({ status: z.enum(['SUCCEEDED', 'FAILED']) }),
  rejected: runDetail.extend({ status: z.literal('REJECTED'), error: errorDetailSchema }),
  skipped: runDetail.extend({ status: z.literal('SKIPPED'), error: errorDetailSchema }),
  /**
   * A run that ended without its own run event: the execution's status, where it stood (`failedState`), why,
   * and how many of its exports were still unfinished (`stopped`, each with its own ML Export Stopped).
   */
  stopped: runDetail.extend({
    status: z.enum(ENDED_RUN_STATUSES),
    stopped: count,
    stoppedExports: z.array(z.string()).max(100),
    failedState: z.string().optional(),
    error: errorDetailSchema,
  }),
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
