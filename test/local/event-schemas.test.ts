/**
 * The published event schemas (one OpenAPI document per detail-type) against every event of every
 * scenario's run of the example (example-run.ts), and against the samples of docs/events.md.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { EVENT_DETAIL_SCHEMAS, eventSchemaDocument, schemaTypeName } from '../../lib/private/event-schemas';
import { eventSamples } from '../../scripts/docs/events';
import { useScenarioResults } from './example-run';

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

  it('describe the sample of each detail-type in docs/events.md, each with the fields a real event of its kind has', () => {
    const all = [...results.all.values()].flatMap((r) => r.events);
    const keys = (detail: Record<string, unknown>) => Object.keys(detail).sort().join(',');
    const samples = eventSamples();
    expect(Object.keys(samples).sort()).toEqual(Object.keys(EVENT_DETAIL_SCHEMAS).sort());
    for (const [detailType, { event }] of Object.entries(samples)) {
      const validate = validators.get(detailType)!;
      expect({ detailType, valid: validate(event), errors: validate.errors ?? [] }).toEqual({
        detailType,
        valid: true,
        errors: [],
      });
      const real = all
        .map((e) => e.event)
        .filter((e) => e['detail-type'] === detailType)
        .map((e) => keys(e.detail));
      expect({ detailType, fields: real.includes(keys(event.detail)) }).toEqual({ detailType, fields: true });
    }
    expect(samples['ML Export Timed Out'].event.detail).not.toHaveProperty('completedAt');
  });
});
