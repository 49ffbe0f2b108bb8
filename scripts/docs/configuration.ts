/**
 * The configuration file's reference (docs/configuration.md), generated from its schema in the contract
 * (contract/config.ts `configurationJsonSchema()`): one table per object of the file (the top level, then
 * each nested object and each list's entries), each field with its type, whether it is required and its
 * description, which says its default and its range.
 */
import { configurationJsonSchema } from '../../contract/config';
import { cell, typeOf, type Schema } from './json-schema';

interface FieldTable {
  readonly title: string;
  readonly schema: Schema;
}

/** The objects of the file, the top level first, each nested object or list entry after its parent. */
function objectsOf(title: string, schema: Schema): FieldTable[] {
  const nested = Object.entries(schema.properties ?? {}).flatMap(([field, s]) => {
    if (s.type === 'object') return objectsOf(`\`${field}\``, s);
    if (s.type === 'array' && s.items?.type === 'object')
      return objectsOf(`Each entry of \`${field}\``, s.items);
    return [];
  });
  return [{ title, schema }, ...nested];
}

function typeCell(schema: Schema): string {
  if (schema.type === 'object') return 'object (below)';
  if (schema.type === 'array' && schema.items?.type === 'object') return 'array of objects (below)';
  return typeOf(schema);
}

function table({ title, schema }: FieldTable): string {
  const rows = Object.entries(schema.properties ?? {}).map(
    ([field, s]) =>
      `| \`${field}\` | ${cell(typeCell(s))} | ${schema.required?.includes(field) ? 'yes' : 'no'} | ${cell(s.description ?? '')} |`,
  );
  return [
    `### ${title}`,
    '',
    ...(schema.description ? [schema.description, ''] : []),
    '| field | type | required | description |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The reference of every field of the configuration file. */
export function configurationReference(): string {
  return objectsOf('Top level', configurationJsonSchema() as Schema)
    .map(table)
    .join('\n\n');
}
