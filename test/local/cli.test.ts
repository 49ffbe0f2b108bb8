/**
 * The local run as a user meets it: `npm run simulate` with --config, --json, odd names and inputs, exit
 * statuses, what it prints and where it writes. The example assembly these runs share is synthesized by
 * the CLI itself, `--config config/example.json` (example-run.ts, so no test synthesizes the example
 * twice).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_PAYLOAD_BYTES } from '../../local/limits';
import { ASSEMBLY, BUILD_TIMEOUT_MS, CLI_WORK, exampleAssembly } from './example-run';
import { cli, ROOT, run, type CliRun, type SimulationResult } from './simulator';

const START = '2026-11-22T03:00:00Z';
/** Short jobs: these tests are about the runner, not the polling. */
const QUICK = ['--start-time', START, '--glue-job-seconds', '60', '--personalize-job-seconds', '60'];

const parsed = (r: CliRun) => JSON.parse(r.stdout) as SimulationResult;
/** Output a user must never get for a usage error: a stack trace or a JSON dump. */
const noDump = (text: string) => !/^\s+at /m.test(text) && !/^\s*[{[]/m.test(text);

const WORK = CLI_WORK;
const OUT = path.join(WORK, 'runs');
/** A run of the example assembly. */
const simulate = (args: string[]) => cli(['--assembly', ASSEMBLY, '--out', OUT, ...QUICK, ...args]);

let configRun: CliRun;

beforeAll(async () => {
  configRun = await exampleAssembly();
}, BUILD_TIMEOUT_MS);

describe('--config', () => {
  it('synthesizes that configuration into its own assembly folder and runs it, without CDK or bundler noise', () => {
    expect(configRun.code).toBe(0);
    expect(parsed(configRun).status).toBe('SUCCEEDED');
    expect(ASSEMBLY).toBe(path.join(WORK, 'cdk.out-example'));
    expect(fs.existsSync(path.join(ASSEMBLY, 'manifest.json'))).toBe(true);
    expect(configRun.stderr).toMatch(/^Synthesized config\/example\.json into .*cdk\.out-example \(/m);
    expect(configRun.stderr).not.toMatch(/Bundling asset|esbuild|⚡|npm warn|cdk synth/i);
  });

  it('reports a configuration that does not synthesize in one closing line, exit status 2', async () => {
    const bad = path.join(WORK, 'bad-config.json');
    fs.writeFileSync(bad, JSON.stringify({ glueExports: [{ name: 'bad name', transformId: 'tfm-1' }] }));
    const r = await cli(['--config', bad, '--out', OUT, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad name');
    expect(r.stderr.trimEnd().split('\n').pop()).toMatch(
      /^simulate: cdk synth of .*bad-config\.json failed \(its output is above\)$/,
    );
  }, 60_000);

  it('refuses a missing file before synthesizing anything', async () => {
    const r = await cli(['--config', path.join(WORK, 'nope.json')]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 2,
      stderr: `simulate: --config ${path.join(WORK, 'nope.json')}: no such file\n`,
    });
  });
});

describe('--json', () => {
  it('puts exactly one JSON document on stdout, with and without the handlers’ logs (which go to stderr)', async () => {
    const [plain, logs] = await Promise.all([
      simulate(['--json', '--name', 'json-plain']),
      simulate(['--json', '--logs', '--name', 'json-logs']),
    ]);
    expect(parsed(plain).executionName).toBe('json-plain');
    expect(parsed(logs).executionName).toBe('json-logs');
    expect(logs.stderr).toMatch(/"level":\s*"INFO"/);
    expect(plain.stderr).not.toMatch(/"level":/);
  });

  it('works as the README shows it, through npm run --silent, and --output writes the same document', async () => {
    const file = path.join(WORK, 'result.json');
    const r = await run('npm', [
      'run',
      '--silent',
      'simulate',
      '--',
      '--json',
      '--output',
      file,
      '--assembly',
      ASSEMBLY,
      '--out',
      OUT,
      '--name',
      'json-npm',
      ...QUICK,
    ]);
    expect(r.code).toBe(0);
    expect(parsed(r).executionName).toBe('json-npm');
    expect(fs.readFileSync(file, 'utf8')).toBe(r.stdout);
  });
});

describe('exit status', () => {
  it('is 1 for a FAILED execution, 0 for SUCCEEDED (checked for every scenario in scenarios.test.ts)', async () => {
    const r = await simulate(['--json', '--scenario', 'job-fails', '--name', 'exit-failed']);
    expect({ code: r.code, status: parsed(r).status }).toEqual({ code: 1, status: 'FAILED' });
  });
});

describe('execution names', () => {
  it.each([
    ['a'.repeat(81), /^simulate: --name: execution name must be 1-80 characters; got 81/],
    ['../escape', /^simulate: --name: execution name "\.\.\/escape" contains "\/"/],
    ['a/b', /contains "\/"/],
    ['night run', /contains U\+0020/],
    ['tab\there', /contains U\+0009/],
    ['x{1}', /contains "\{"/],
    ['semi;colon', /contains ";"/],
    ['..', /cannot be used: the local run writes each execution to a folder of that name/],
  ])('refuses %j in one line, exit status 2, writing nothing', async (name, message) => {
    const r = await cli(['--name', name, '--out', path.join(WORK, 'names'), '--assembly', ASSEMBLY]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(noDump(r.stderr)).toBe(true);
    expect(fs.existsSync(path.join(WORK, 'names'))).toBe(false);
    expect(fs.existsSync(path.join(WORK, 'escape'))).toBe(false);
  });

  it('accepts the 80-character names Step Functions accepts', async () => {
    const name = `n-${'x'.repeat(78)}`;
    const r = await simulate(['--json', '--name', name, '--scenario', 'bad-input']);
    expect(parsed(r).executionName).toBe(name);
  });
});

describe('the output folder', () => {
  it('refuses an S3 prefix whose .. segments would lead outside it, before any job, and writes nothing there', async () => {
    const input = path.join(WORK, 'escape.json');
    fs.writeFileSync(
      input,
      JSON.stringify({
        exports: [
          {
            type: 'glue',
            name: 'escape',
            transformId: 'tfm-0123456789abcdef0123456789abcdef',
            outputS3Prefix: 's3://example-ml-exports/../../../../escaped/',
          },
        ],
      }),
    );
    const r = parsed(await simulate(['--json', '--name', 'escape', '--input', input]));
    // Prepare Run refuses it first (input confinement); the stand-in would refuse the write too.
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
    expect(String((r.events[0].event.detail.error as { message: string }).message)).toContain(
      'input.exports[0].outputS3Prefix: got "s3://example-ml-exports/../../../../escaped/"; expected an S3 prefix without empty, "." or ".." segments',
    );
    expect(r.counts.glueTaskRunsStarted).toBe(0);
    for (const f of r.filesWritten) expect(f).toMatch(/^s3\/[a-z0-9.-]+\//);
    expect(fs.existsSync(path.join(OUT, 'escaped'))).toBe(false);
    expect(fs.existsSync(path.join(WORK, 'escaped'))).toBe(false);
    expect(fs.existsSync(path.join(ROOT, '.test-out', 'escaped'))).toBe(false);
  });

  it('gives each run its own folder, emptied when the same name runs again, and lists only its files', async () => {
    const first = parsed(await simulate(['--json', '--name', 'folder-a']));
    const stray = path.join(OUT, 'folder-a', 's3', 'old-file.csv');
    fs.writeFileSync(stray, 'from an earlier run');
    const [again, other] = (
      await Promise.all([
        simulate(['--json', '--name', 'folder-a']),
        simulate(['--json', '--name', 'folder-b']),
      ])
    ).map(parsed);
    expect(again.runDir).toBe(path.join(OUT, 'folder-a'));
    expect(other.runDir).toBe(path.join(OUT, 'folder-b'));
    expect(fs.existsSync(stray)).toBe(false);
    expect(again.filesWritten).toHaveLength(first.filesWritten.length);
    expect(other.filesWritten.every((f) => f.includes('folder-b') || f.includes('map-runs'))).toBe(true);
    for (const f of [...again.filesWritten, ...other.filesWritten])
      expect(fs.existsSync(path.join(OUT, f))).toBe(false);
  });

  it('never empties a folder a local run did not write', async () => {
    fs.mkdirSync(path.join(WORK, 'mine', 'keep'), { recursive: true });
    fs.writeFileSync(path.join(WORK, 'mine', 'keep', 'notes.txt'), 'mine');
    const r = await simulate(['--out', path.join(WORK, 'mine'), '--name', 'keep']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^simulate: .*keep holds files no local run wrote/m);
    expect(fs.readFileSync(path.join(WORK, 'mine', 'keep', 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('the 256 KiB limit', () => {
  it('fails a task whose input passes 262,144 bytes with States.DataLimitExceeded, which Prepare Run rejects with an event', async () => {
    // Input StartExecution accepts (under 256 KiB) that Prepare Run's payload, with the run's settings
    // added, takes over the limit: as in AWS, the task fails with States.DataLimitExceeded, which the
    // definition catches by name (States.ALL would not) into a Run Rejected event.
    const input = path.join(WORK, 'near-limit.json');
    fs.writeFileSync(input, JSON.stringify({ exportNames: ['x'.repeat(MAX_PAYLOAD_BYTES - 200)] }));
    const r = parsed(await simulate(['--json', '--name', 'near-limit', '--input', input]));
    expect(r).toMatchObject({ status: 'FAILED', error: { error: 'States.DataLimitExceeded' } });
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
    expect(r.events[0].event.detail.error).toMatchObject({
      type: 'States.DataLimitExceeded',
      message: expect.stringMatching(/'Prepare Run' input is/),
    });
    expect(r.calls).toEqual([]);
  });

  it('bounds what the handlers echo: a 200 KB unknown field name gives a small rejection, no 400 KB state', async () => {
    const input = path.join(WORK, 'long-key.json');
    fs.writeFileSync(input, JSON.stringify({ [`k${'e'.repeat(200_000)}y`]: 1 }));
    const r = parsed(await simulate(['--json', '--name', 'long-key', '--input', input]));
    expect(r.status).toBe('FAILED');
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
    const message = String((r.events[0].event.detail.error as { message: string }).message);
    expect(message).toMatch(/^input\["keeee+\.\.\."\]: got 1; expected no such field/);
    expect(JSON.stringify(r.events[0].event).length).toBeLessThan(2_000);
    // The input itself (200 KB) is the largest state input; the error added to it stays small.
    expect(r.counts.largestStateInputBytes).toBeLessThan(200_000 + 2_000);
  });

  it('refuses execution input over 262,144 bytes before starting, as StartExecution does', async () => {
    const input = path.join(WORK, 'too-large.json');
    fs.writeFileSync(input, JSON.stringify({ exportNames: ['x'.repeat(MAX_PAYLOAD_BYTES)] }));
    const r = await simulate(['--json', '--input', input]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^simulate: --input .* is 262,1\d\d bytes; Step Functions accepts execution input of at most 262,144 bytes\n$/,
    );
  });
});

describe('what a person reads', () => {
  it('lists exports that never got an event (EventBridge outage) with what is known', async () => {
    // EventBridge refuses both export events and Summarize Run's deliveries: the run fails there.
    const r = await cli([
      '--assembly',
      ASSEMBLY,
      '--out',
      OUT,
      '--start-time',
      START,
      '--scenario',
      'eventbridge-long-outage',
      '--name',
      'outage',
    ]);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n');
    expect(rows).toContainEqual(
      expect.stringMatching(
        /^customer-matches\s+glue\s+-\s+\d+\s+-\s+0\s+no event; last state "Hold Export Event"$/,
      ),
    );
    expect(rows).toContainEqual(
      expect.stringMatching(
        /^interactions\s+personalize\s+-\s+\d+\s+-\s+0\s+no event; last state "[A-Za-z ]+"$/,
      ),
    );
    expect(rows).toContain(
      'Terminal events: 2 export(s), NOT one each: customer-matches (0), interactions (0)',
    );
  });

  it('says so when --redrive finds nothing to redrive', async () => {
    const r = await simulate(['--redrive', '--name', 'no-redrive']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ run {16}no redrive: the execution SUCCEEDED: there is nothing to redrive$/m);
  });

  it('keeps stderr empty on a plain run', async () => {
    const r = await simulate(['--name', 'quiet']);
    expect(r.stderr).toBe('');
  });
});
