/**
 * The event contract as EventBridge schemas (OpenAPI 3, one per detail-type), published in a schema
 * registry so consumers can download code bindings. test/local checks every event the local run emits
 * against these, so the contract and the events cannot drift apart.
 */
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';

type JsonSchema = Record<string, unknown>;

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const int = { type: 'integer', minimum: 0 };
const errorDetail: JsonSchema = {
  type: 'object',
  required: ['type', 'message'],
  additionalProperties: false,
  properties: { type: str, message: str },
};

const exportDetail = (outcome: string): JsonSchema => ({
  type: 'object',
  required: [
    'exportName',
    'exportType',
    'outcome',
    'outputS3Path',
    'pollCount',
    'adoptedExistingJob',
    'executionName',
    'executionArn',
  ],
  additionalProperties: false,
  properties: {
    exportName: str,
    exportType: { type: 'string', enum: ['glue', 'personalize'] },
    outcome: { type: 'string', enum: [outcome] },
    outputS3Path: { type: 'string', pattern: '^s3://' },
    transformId: str,
    taskRunId: str,
    datasetArn: str,
    datasetExportJobArn: str,
    jobName: str,
    ingestionMode: { type: 'string', enum: ['BULK', 'PUT', 'ALL'] },
    serviceStatus: str,
    startedAt: time,
    // Only when the service reported the job completed; durationSeconds with it.
    completedAt: time,
    durationSeconds: int,
    pollCount: int,
    waitedForCapacitySeconds: int,
    adoptedExistingJob: { type: 'boolean' },
    // Time-outs only: whether the workflow stopped the job (Glue CancelMLTaskRun; Personalize has no stop call).
    jobCancelled: { type: 'boolean' },
    error: errorDetail,
    executionName: str,
    executionArn: str,
  },
});

const runDetail = (statuses: string[]): JsonSchema => ({
  type: 'object',
  required: [
    'executionName',
    'executionArn',
    'status',
    'startedAt',
    'completedAt',
    'durationSeconds',
    'exportCount',
    'succeeded',
    'failed',
    'timedOut',
    'failedExports',
    'timedOutExports',
  ],
  additionalProperties: false,
  properties: {
    executionName: str,
    executionArn: str,
    status: { type: 'string', enum: statuses },
    startedAt: time,
    completedAt: time,
    durationSeconds: int,
    exportCount: int,
    succeeded: int,
    failed: int,
    timedOut: int,
    failedExports: { type: 'array', items: str, maxItems: 100 },
    timedOutExports: { type: 'array', items: str, maxItems: 100 },
    resultsManifest: { type: 'string', pattern: '^s3://' },
    lateEvents: int,
    error: errorDetail,
  },
});

/** Detail schema of each detail-type the workflow emits. */
export const EVENT_DETAIL_SCHEMAS: Record<string, JsonSchema> = {
  'ML Export Succeeded': exportDetail('SUCCEEDED'),
  'ML Export Failed': {
    ...exportDetail('FAILED'),
    // An export removed from the configuration while a run was under way fails without an output path.
    required: [...(exportDetail('FAILED').required as string[]).filter((f) => f !== 'outputS3Path'), 'error'],
  },
  'ML Export Timed Out': {
    ...exportDetail('TIMED_OUT'),
    required: [...(exportDetail('TIMED_OUT').required as string[]), 'error', 'jobCancelled'],
  },
  'ML Export Run Completed': runDetail(['SUCCEEDED', 'FAILED']),
  'ML Export Run Rejected': {
    ...runDetail(['REJECTED']),
    required: [...(runDetail([]).required as string[]), 'error'],
  },
  'ML Export Run Skipped': {
    ...runDetail(['SKIPPED']),
    required: [...(runDetail([]).required as string[]), 'error'],
  },
};

/** `MLExportRunCompleted` for 'ML Export Run Completed'. */
export function schemaTypeName(detailType: string): string {
  return detailType.replace(/\s+/g, '').replace(/^Ml/, 'ML');
}

/** The OpenAPI 3 document EventBridge expects for one detail-type: the event envelope and its detail. */
export function eventSchemaDocument(source: string, detailType: string): JsonSchema {
  const detailName = schemaTypeName(detailType);
  return {
    openapi: '3.0.0',
    info: {
      version: '1.0.0',
      title: detailType,
      'x-amazon-events-source': source,
      'x-amazon-events-detail-type': detailType,
    },
    paths: {},
    components: {
      schemas: {
        AWSEvent: {
          type: 'object',
          required: [
            'detail-type',
            'source',
            'detail',
            'version',
            'id',
            'account',
            'time',
            'region',
            'resources',
          ],
          properties: {
            version: str,
            id: str,
            'detail-type': { type: 'string', enum: [detailType] },
            source: { type: 'string', enum: [source] },
            account: str,
            time: time,
            region: str,
            resources: { type: 'array', items: str },
            detail: { $ref: `#/components/schemas/${detailName}` },
          },
        },
        [detailName]: EVENT_DETAIL_SCHEMAS[detailType],
      },
    },
  };
}

export interface EventSchemasProps {
  /** `source` of the events. */
  readonly source: string;
}

/** A schema registry with one schema per detail-type. */
export class EventSchemas extends Construct {
  public readonly registry: CfnRegistry;
  public readonly schemas: CfnSchema[];

  constructor(scope: Construct, id: string, props: EventSchemasProps) {
    super(scope, id);
    this.registry = new CfnRegistry(this, 'Registry', {
      description: `Events of ml-exports (source ${props.source})`,
    });
    this.schemas = Object.keys(EVENT_DETAIL_SCHEMAS).map(
      (detailType) =>
        new CfnSchema(this, schemaTypeName(detailType), {
          registryName: this.registry.attrRegistryName,
          // Letters only, whatever the event source is: schema names allow few characters.
          schemaName: schemaTypeName(detailType),
          type: 'OpenApi3',
          description: `"${detailType}" events`,
          content: JSON.stringify(eventSchemaDocument(props.source, detailType)),
        }),
    );
  }
}
