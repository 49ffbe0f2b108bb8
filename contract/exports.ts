/**
 * The export shape, written once with zod: the spec of each export type (a discriminated union on
 * `type`) and the polling settings. The handlers' types (lambda/shared/types.ts) and the construct's
 * props (lib/workflow-props.ts) are inferred from these; the rules on the values, with their messages,
 * are ./validation.ts, shared by the synth-time and run-time checks.
 */
import * as z from 'zod';
import { EXPORT_TYPES, INGESTION_MODES, POLLING_STRATEGIES } from './names';

export const glueExportSpecSchema = z.strictObject({
  type: z.literal('glue'),
  /** Unique within a run; names the export in events and in the output path. */
  name: z.string(),
  /** @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartExportLabelsTaskRun.html */
  transformId: z.string(),
  /** S3 prefix; each run writes below `<prefix><yyyy-mm-dd>/<execution name>/`. */
  outputS3Prefix: z.string(),
});

export const personalizeExportSpecSchema = z.strictObject({
  type: z.literal('personalize'),
  name: z.string(),
  /** @see https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html */
  datasetArn: z.string(),
  /** The IAM role Personalize assumes to write to S3. */
  roleArn: z.string(),
  outputS3Prefix: z.string(),
  ingestionMode: z.enum(INGESTION_MODES),
  kmsKeyArn: z.string().optional(),
});

export const exportSpecSchema = z.discriminatedUnion('type', [
  glueExportSpecSchema,
  personalizeExportSpecSchema,
]);

export type GlueExportSpec = Readonly<z.infer<typeof glueExportSpecSchema>>;
export type PersonalizeExportSpec = Readonly<z.infer<typeof personalizeExportSpecSchema>>;
export type ExportSpec = GlueExportSpec | PersonalizeExportSpec;

export const pollingSettingsSchema = z.strictObject({
  initialWaitSeconds: z.number(),
  backoffRate: z.number(),
  maxWaitSeconds: z.number(),
  /** Time from the start of the job after which the export ends as TIMED_OUT. */
  maxExportSeconds: z.number(),
  /** "history" (default): time the checks from the export's past runs; "backoff": the backoff only. */
  strategy: z.enum(POLLING_STRATEGIES).optional(),
});

/** How an export's job is polled; filled from configuration. */
export type PollingSettings = Readonly<z.infer<typeof pollingSettingsSchema>>;

export { EXPORT_TYPES };
