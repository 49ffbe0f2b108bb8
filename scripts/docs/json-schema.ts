/** What the generated references read of a JSON Schema, and how they write it in a Markdown table. */

export type Schema = {
  type?: string;
  enum?: unknown[];
  format?: string;
  items?: Schema;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
};

/** `text` as one Markdown table cell. */
export const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');

/** The type of a value `schema` accepts, in words: `string`, `array of string`, `` `BULK`, `PUT` ``. */
export function typeOf(schema: Schema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (schema.type === 'array') return `array of ${typeOf(schema.items ?? {})}`;
  if (schema.type === 'object') return 'object';
  if (schema.format === 'date-time') return 'date-time';
  return schema.type ?? 'any';
}
