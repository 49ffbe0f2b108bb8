/**
 * The published event schemas (one OpenAPI document per detail-type) against every event of every
 * scenario's run of the example (example-run.ts), and against the README's example events.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { EVENT_DETAIL_SCHEMAS, eventSchemaDocument, schemaTypeName } from '../../lib/event-schemas';
import { useScenarioResults } from './example-run';
import { ROOT } from './simulator';

const results = useScenarioResults();

const run = (name: string) => results.run(name);

describe('the published event schemas', () => {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const validators = new Map(
    Object.keys(EVENT_DETAIL_SCHEMAS).map((detailType) => {
      const doc = eventSchemaDocument('ml-exports', detailType) as {
        components: { schemas: Record<string, object> };
      };
      const id = `https://ml-exports.local/${schemaTypeName(detailType)}`;
      ajv.addSchema({ ...doc, $id: id });
      return [detailType, ajv.compile({ $ref: `${id}#/components/schemas/AWSEvent` })];
    }),
  );

  it('describe every event every scenario emitted, and every detail-type is emitted by some scenario', () => {
    const seen = new Set<string>();
    for (const [name, r] of results.all) {
      for (const { event } of r.events) {
        const validate = validators.get(event['detail-type']);
        expect({ scenario: name, detailType: event['detail-type'], known: validate !== undefined }).toEqual({
          scenario: name,
          detailType: event['detail-type'],
          known: true,
        });
        const valid = validate!(event);
        expect({ scenario: name, event: event['detail-type'], errors: validate!.errors ?? [] }).toEqual({
          scenario: name,
          event: event['detail-type'],
          errors: [],
        });
        expect(valid).toBe(true);
        seen.add(event['detail-type']);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(EVENT_DETAIL_SCHEMAS).sort());
  });

  it('rejects an event that drifted from the contract', () => {
    const event = run('happy').events[0].event;
    const validate = validators.get(event['detail-type'])!;
    expect(validate({ ...event, detail: { ...event.detail, pollCount: 'five' } })).toBe(false);
    expect(validate({ ...event, detail: { ...event.detail, newField: 1 } })).toBe(false);
  });

  it("describe the README's example events (a time-out without completedAt, with jobCancelled; a stopped run)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```json\n(\{\n {2}"detail-type": [\s\S]*?)\n```/g)].map(
      (m) => JSON.parse(m[1]) as { 'detail-type': string; detail: Record<string, unknown> },
    );
    expect(examples.map((e) => e['detail-type'])).toEqual([
      'ML Export Failed',
      'ML Export Succeeded',
      'ML Export Timed Out',
      'ML Export Run Completed',
      'ML Export Stopped',
      'ML Export Run Stopped',
    ]);
    for (const example of examples) {
      const detailType = example['detail-type'];
      const validate = ajv.getSchema(
        `https://ml-exports.local/${schemaTypeName(detailType)}#/components/schemas/${schemaTypeName(detailType)}`,
      )!;
      expect({ detailType, valid: validate(example.detail), errors: validate.errors ?? [] }).toEqual({
        detailType,
        valid: true,
        errors: [],
      });
    }
    expect(examples[2].detail).not.toHaveProperty('completedAt');
  });
});
