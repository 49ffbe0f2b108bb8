/** The generated documentation: fresh, and generated from what it describes. */
import { EVENT_DETAILS } from '../../contract/events';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configurationJsonSchema } from '../../contract/config';
import { writeBlock } from '../../scripts/docs/blocks';
import { configurationReference } from '../../scripts/docs/configuration';
import { eventsReference, eventSamples } from '../../scripts/docs/events';

const ROOT = path.join(__dirname, '..', '..');

/** `npm run docs -- --check [--root DIR]`: its exit status and what it printed. */
function check(root = ROOT): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/docs/generate.ts', '--check', '--root', root],
      { cwd: ROOT },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
    );
  });
}

describe('the generated documentation', () => {
  it('is as npm run docs would write it now (run npm run docs after changing the contract or the workflow)', async () => {
    const [fresh, stale] = await Promise.all([
      check(),
      (async () => {
        // A copy of the documents with one block changed by hand.
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-docs-'));
        fs.mkdirSync(path.join(copy, 'docs'));
        fs.copyFileSync(path.join(ROOT, 'README.md'), path.join(copy, 'README.md'));
        for (const doc of fs.readdirSync(path.join(ROOT, 'docs')))
          fs.copyFileSync(path.join(ROOT, 'docs', doc), path.join(copy, 'docs', doc));
        const events = fs.readFileSync(path.join(ROOT, 'docs', 'events.md'), 'utf8');
        fs.writeFileSync(
          path.join(copy, 'docs', 'events.md'),
          writeBlock(events, 'events', 'edited by hand'),
        );
        return check(copy);
      })(),
    ]);
    expect(fresh).toEqual({ code: 0, stderr: '' });
    expect(stale).toEqual({ code: 1, stderr: 'stale: docs/events.md: events (npm run docs writes it)\n' });
  }, 60_000);

  it('replaces only the block, and refuses a document without it', () => {
    const doc = 'intro\n<!-- generated:x (npm run docs) -->\nold\n<!-- generated:x:end -->\nrest\n';
    expect(writeBlock(doc, 'x', 'new')).toBe(
      'intro\n<!-- generated:x (npm run docs) -->\n\nnew\n\n<!-- generated:x:end -->\nrest\n',
    );
    expect(() => writeBlock('no block', 'x', 'new')).toThrow(
      'no <!-- generated:x (npm run docs) --> ... <!-- generated:x:end --> block',
    );
  });
});

describe('the events reference', () => {
  const reference = eventsReference();

  it('names every detail-type of the contract, with when it is sent and a sample the contract accepts', () => {
    const samples = eventSamples();
    for (const [detailType, schema] of Object.entries(EVENT_DETAILS)) {
      expect(reference).toContain(`| \`${detailType}\` |`);
      expect(reference).toContain(`### ${detailType}`);
      expect({ detailType, parsed: schema.safeParse(samples[detailType].event.detail).success }).toEqual({
        detailType,
        parsed: true,
      });
    }
  });

  it('lists each field of the details once, with what it means', () => {
    for (const field of [
      'exportName',
      'jobState',
      'waitedForCapacitySeconds',
      'lateEvents',
      'stoppedExports',
    ])
      expect(reference.split('\n').filter((l) => l.startsWith(`| \`${field}\` |`))).toHaveLength(1);
    expect(reference).toMatch(/\| `pollCount` \| integer \| always \| Status checks made \|/);
  });
});

describe('the configuration reference', () => {
  type Schema = {
    properties?: Record<string, Schema>;
    items?: Schema;
    required?: string[];
    description?: string;
  };
  const reference = configurationReference();
  const tables = Object.fromEntries(
    reference
      .split(/^### /m)
      .slice(1)
      .map((t) => [t.slice(0, t.indexOf('\n')), t] as const),
  );
  const schema = configurationJsonSchema() as Schema;
  const rowOf = (table: string, field: string) =>
    table.split('\n').filter((line) => line.startsWith(`| \`${field}\` |`));

  it('has a table for the file and for each nested object and list entry', () => {
    expect(Object.keys(tables)).toEqual([
      'Top level',
      '`polling`',
      'Each entry of `glueExports`',
      'Each entry of `personalizeExports`',
    ]);
  });

  it.each([
    ['Top level', schema],
    ['`polling`', schema.properties!.polling],
    ['Each entry of `glueExports`', schema.properties!.glueExports.items!],
    ['Each entry of `personalizeExports`', schema.properties!.personalizeExports.items!],
  ])(
    '%s: lists each field of the schema once, with whether it is required and its description',
    (title, object) => {
      const fields = Object.entries(object.properties!);
      expect(fields.length).toBeGreaterThan(0);
      for (const [field, s] of fields) {
        const rows = rowOf(tables[title], field);
        expect({ field, rows: rows.length }).toEqual({ field, rows: 1 });
        const required = object.required?.includes(field) ? 'yes' : 'no';
        expect(rows[0]).toContain(` | ${required} | ${s.description!.replace(/</g, '&lt;')} |`);
      }
    },
  );

  it('says the defaults, from the schema', () => {
    expect(rowOf(tables['Top level'], 'maxConcurrency')[0]).toBe(
      '| `maxConcurrency` | integer | no | Exports of one run that go at the same time. Default 10. |',
    );
    expect(rowOf(tables['Each entry of `personalizeExports`'], 'ingestionMode')[0]).toMatch(
      /^\| `ingestionMode` \| `BULK`, `PUT`, `ALL` \| no \| .*Default PUT/,
    );
  });
});
