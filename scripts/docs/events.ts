/**
 * The events reference (docs/events.md), generated from the contract (contract/events.ts): each
 * detail-type with when it is sent and a rule pattern for it, the fields of the export and run details
 * with their types and descriptions, and a sample of each event (scripts/docs/event-samples.json, taken
 * from local runs; test/local checks them against the events the local run sends).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as z from 'zod';
import {
  detailJsonSchema,
  EVENT_DETAILS,
  EXPORT_EVENT_DETAILS,
  exportDetail,
  RUN_EVENT_DETAILS,
  runDetail,
} from '../../contract/events';
import { cell, typeOf, type Schema } from './json-schema';

/** The default `source` of the events (configurable). */
export const DEFAULT_EVENT_SOURCE = 'ml-exports';

export interface EventSample {
  /** The local scenario whose run sent it. */
  readonly scenario: string;
  readonly event: { readonly 'detail-type': string; readonly detail: Record<string, unknown> };
}

/** One event of each detail-type, as a local run sent it. */
export function eventSamples(): Record<string, EventSample> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'event-samples.json'), 'utf8')) as Record<
    string,
    EventSample
  >;
}

const json = (value: unknown) => `\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;

/**
 * One table of the fields of several detail schemas (the outcomes of export events, or of run events):
 * each field once, with the values it takes across them, where it is required, and its description (from
 * the common schema where an outcome's narrower field has none).
 */
function fieldsTable(schemas: Record<string, z.ZodType>, common: z.ZodType): string {
  const base = detailJsonSchema(common) as Schema;
  const documents = Object.entries(schemas).map(
    ([name, s]) => [name, detailJsonSchema(s) as Schema] as const,
  );
  const names = [...new Set(documents.flatMap(([, d]) => Object.keys(d.properties ?? {})))];
  const rows = names.map((field) => {
    const where = documents.filter(([, d]) => d.properties?.[field]);
    const required = documents.filter(([, d]) => d.required?.includes(field)).map(([name]) => name);
    const types = [...new Set(where.map(([, d]) => typeOf(d.properties![field])))];
    const description =
      [...where.map(([, d]) => d.properties![field]), base.properties?.[field]]
        .map((p) => p?.description)
        .find((text) => text !== undefined) ?? '';
    const requiredIn =
      required.length === documents.length ? 'always' : required.length === 0 ? '' : required.join(', ');
    const sub = where[0][1].properties![field];
    const nested = sub.properties
      ? ` (${Object.entries(sub.properties)
          .map(([k, v]) => `\`${k}\`: ${v.description ?? typeOf(v)}`)
          .join('; ')})`
      : '';
    return `| \`${field}\` | ${cell(types.join(' / '))} | ${cell(requiredIn)} | ${cell(description + nested)} |`;
  });
  return ['| field | type | required | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The rule pattern matching one detail-type of a deployment whose events have `source`. */
export function detailTypePattern(
  detailType: string,
  source = DEFAULT_EVENT_SOURCE,
): Record<string, unknown> {
  return { source: [source], 'detail-type': [detailType] };
}

/** The generated block of docs/events.md. */
export function eventsReference(): string {
  const samples = eventSamples();
  const types = Object.entries(EVENT_DETAILS).map(
    ([detailType, schema]) =>
      `| \`${detailType}\` | ${cell((detailJsonSchema(schema) as Schema).description ?? '')} |`,
  );
  const sections = [
    '## Detail-types',
    '',
    '| detail-type | sent when |',
    '| --- | --- |',
    ...types,
    '',
    `Every event has \`source\` \`${DEFAULT_EVENT_SOURCE}\` (the \`eventSource\` setting) and goes to the configured`,
    "bus (the account's default bus unless configured). A rule for one detail-type:",
    '',
    json(detailTypePattern('ML Export Failed')),
    '',
    '## Export event detail',
    '',
    'The detail of `ML Export Succeeded`, `ML Export Failed`, `ML Export Timed Out` and `ML Export Stopped`,',
    'by outcome (`required` names the outcomes that always carry the field).',
    '',
    fieldsTable(EXPORT_EVENT_DETAILS, exportDetail),
    '',
    '## Run event detail',
    '',
    'The detail of `ML Export Run Completed`, `Run Rejected`, `Run Skipped` and `Run Stopped`.',
    '',
    fieldsTable(RUN_EVENT_DETAILS, runDetail),
    '',
    '## Samples',
    '',
    'One of each, as a local run sent it (`npm run simulate -- --scenario <scenario> --name nightly-2026-11-22',
    '--start-time 2026-11-22T03:00:00Z`).',
    ...Object.keys(EVENT_DETAILS).flatMap((detailType) => {
      const sample = samples[detailType];
      if (!sample) throw new Error(`scripts/docs/event-samples.json has no sample of ${detailType}`);
      return ['', `### ${detailType}`, '', `Scenario \`${sample.scenario}\`:`, '', json(sample.event)];
    }),
  ];
  return sections.join('\n');
}
