/**
 * The event contract (contract/events.ts) as EventBridge schemas (OpenAPI 3, one per detail-type),
 * published in a schema registry so consumers can download code bindings. test/local checks every event the local run emits
 * against these, so the contract and the events cannot drift apart.
 */
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { detailJsonSchema, EVENT_DETAILS, type JsonSchema } from '../../contract/events';

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };

/** Detail schema of each detail-type the workflow emits, generated from the contract (contract/events.ts). */
export const EVENT_DETAIL_SCHEMAS: Record<string, JsonSchema> = Object.fromEntries(
  Object.entries(EVENT_DETAILS).map(([detailType, schema]) => [detailType, detailJsonSchema(schema)]),
);

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
