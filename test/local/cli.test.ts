/**
 * The local run as a user meets it: `npm run simulate` with --config, --json, odd names and inputs, exit
 * statuses, what it prints and where it writes. What only a process shows (exit status, stdout and stderr,
 * npm's banner) is checked by running the command; the rest through the same options in this process.
 * The example assembly these runs share is synthesized by the command itself, `--config
 * config/example.json` (example-run.ts, so no test synthesizes the example twice).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliOptions } from '../../local/cli-options';
import { LocalRunRefused, MAX_PAYLOAD_BYTES } from '../../local/limits';
import { ASSEMBLY, BUILD_TIMEOUT_MS, CLI_WORK, exampleAssembly } from './example-run';
import {
  cli,
  ROOT,
  run,
  simulate as simulateInProcess,
  type CliRun,
  type SimulationResult,
} from './simulator';

const START = '2026-11-22T03:00:00Z';
/** Short jobs: these tests are about the runner, not the polling. */
const QUICK = ['--start-time', START, '--glue-job-seconds', '60', '--personalize-job-seconds', '60'];

const parsed = (r: CliRun) => JSON.parse(r.stdout) as SimulationResult;
/** Output a user must never get for a usage error: a stack trace or a JSON dump. */
const noDump = (text: string) => !/^\s+at /m.test(text) && !/^\s*[{[]/m.test(text);

const WORK = CLI_WORK;
const OUT = path.join(WORK, 'runs');
/** The command, on the example assembly. */
const command = (args: string[]) => cli(['--assembly', ASSEMBLY, '--out', OUT, ...QUICK, ...args]);
/** The same options, run in this process. */
const simulate = (args: string[]) =>
  simulateInProcess(['--assembly', ASSEMBLY, '--out', OUT, ...QUICK, ...args]);
/** The usage error these options get, in this process (undefined when there is none). */
function refusal(args: string[]): string | undefined {
  try {
    cliOptions(args);
    return undefined;
  } catch (err) {
    if (err instanceof LocalRunRefused) return err.message;
    throw err;
  }
}
/** The usage error a run with these options gets, in this process. */
async function refusedRun(args: string[]): Promise<LocalRunRefused> {
  const err = await simulate(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LocalRunRefused)) throw new Error(`expected a usage error; got ${String(err)}`);
  return err;
}

let configRun: CliRun;

beforeAll(async () => {
  configRun = await exampleAssembly();
}, BUILD_TIMEOUT_MS);

describe('--config', () => {
  it('synthesizes that configuration where --assembly says and runs it, without CDK or bundler noise', () => {
    expect(configRun.code).toBe(0);
    expect(parsed(configRun).status).toBe('SUCCEEDED');
    expect(fs.existsSync(path.join(ASSEMBLY, 'manifest.json'))).toBe(true);
    expect(configRun.stderr).toMatch(/^Synthesized config\/example\.json into .*cdk\.out-example \(/m);
    expect(configRun.stderr).not.toMatch(/Bundling asset|esbuild|⚡|npm warn|cdk synth/i);
  });

  it('synthesizes into the run’s own folder when no --assembly is given', async () => {
    const r = await simulateInProcess([
      '--config',
      'config/example.json',
      '--out',
      OUT,
      '--name',
      'own-synth',
      ...QUICK,
    ]);
    expect(r.assemblyDir).toBe(path.join(OUT, 'own-synth', 'cdk.out'));
    expect(fs.existsSync(path.join(r.assemblyDir, 'manifest.json'))).toBe(true);
    expect(r.status).toBe('SUCCEEDED');
  });

  it('reports a configuration that does not synthesize in one closing line, exit status 2', async () => {
    const bad = path.join(WORK, 'bad-config.json');
    fs.writeFileSync(bad, JSON.stringify({ glueExports: [{ name: 'bad name', transformId: 'tfm-1' }] }));
    const r = await cli(['--config', bad, '--out', OUT, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad name');
    expect(noDump(r.stderr)).toBe(true);
    expect(r.stderr.trimEnd().split('\n').pop()).toMatch(
      /^simulate: synth of .*bad-config\.json failed \(the reason is above\)$/,
    );
  }, 60_000);

  it('lets two commands started together each synthesize and run in folders of their own', async () => {
    const out = path.join(WORK, 'together');
    const [a, b] = await Promise.all([
      cli(['--config', 'config/example.json', '--out', out, '--json', ...QUICK]),
      cli(['--config', 'config/example.json', '--out', out, '--json', ...QUICK]),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(parsed(a).runDir).not.toBe(parsed(b).runDir);
    expect(fs.readdirSync(out).sort()).toEqual([parsed(a).executionName, parsed(b).executionName].sort());
  }, 60_000);

  it('refuses a missing file before synthesizing anything', () => {
    const missing = path.join(WORK, 'nope.json');
    expect(refusal(['--config', missing])).toBe(`--config ${missing}: no such file`);
  });

  it('says what --input takes when the JSON itself is given', () => {
    expect(refusal(['--input', '{"exportNames":["nope"]}'])).toBe(
      '--input takes a file holding the execution input, and {"exportNames":["nope"]} is no file: write the JSON to a file (input.json) and give --input input.json',
    );
  });
});

describe('--json', () => {
  it('puts exactly one JSON document on stdout, with and without the handlers’ logs (which go to stderr)', async () => {
    const [plain, logs] = await Promise.all([
      command(['--json', '--name', 'json-plain']),
      command(['--json', '--logs', '--name', 'json-logs']),
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

describe('--output', () => {
  it('refuses, before the run and in one line with exit status 2, a file that cannot be written', async () => {
    const r = await command([
      '--json',
      '--name',
      'no-output',
      '--output',
      path.join(WORK, 'missing-folder', 'r.json'),
    ]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `simulate: --output ${path.join(WORK, 'missing-folder', 'r.json')}: the folder ${path.join(WORK, 'missing-folder')} does not exist\n`,
    );
    expect(fs.existsSync(path.join(OUT, 'no-output'))).toBe(false);
  });

  it('refuses a folder, and a file in a folder it may not write', () => {
    expect(refusal(['--output', WORK])).toBe(
      `--output ${WORK}: is a folder; expected a file to write the JSON document to`,
    );
    const locked = path.join(WORK, 'read-only');
    fs.mkdirSync(locked, { recursive: true });
    fs.chmodSync(locked, 0o500);
    try {
      // root may write anywhere: the check is then what the process itself may do.
      const expected =
        process.getuid?.() === 0
          ? undefined
          : `--output ${path.join(locked, 'r.json')}: the folder ${locked} cannot be written`;
      expect(refusal(['--output', path.join(locked, 'r.json')])).toBe(expected);
    } finally {
      fs.chmodSync(locked, 0o700);
    }
  });
});

describe('exit status', () => {
  it('is 1 for a FAILED execution, 0 for SUCCEEDED (checked for every scenario in scenarios.test.ts)', async () => {
    const r = await command(['--json', '--scenario', 'job-fails', '--name', 'exit-failed']);
    expect({ code: r.code, status: parsed(r).status }).toEqual({ code: 1, status: 'FAILED' });
  });
});

describe('execution names', () => {
  it('refuses a bad one in one line, exit status 2, writing nothing', async () => {
    const r = await cli(['--name', '../escape', '--out', path.join(WORK, 'names'), '--assembly', ASSEMBLY]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'simulate: --name: execution name "../escape" contains "/"; Step Functions refuses whitespace, < > { } [ ] ? * " # % \\ ^ | ~ ` $ & , ; : / and control characters\n',
    );
    expect(fs.existsSync(path.join(WORK, 'names'))).toBe(false);
    expect(fs.existsSync(path.join(WORK, 'escape'))).toBe(false);
  });

  it.each([
    ['a'.repeat(81), /^--name: execution name must be 1-80 characters; got 81/],
    ['a/b', /contains "\/"/],
    ['night run', /contains U\+0020/],
    ['tab\there', /contains U\+0009/],
    ['x{1}', /contains "\{"/],
    ['semi;colon', /contains ";"/],
    ['..', /cannot be used: the local run writes each execution to a folder of that name/],
  ])('refuses %j before writing anything', async (name, message) => {
    const out = path.join(WORK, 'names');
    const err = await refusedRun(['--name', name, '--out', out]);
    expect(err.message).toMatch(message);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('accepts the 80-character names Step Functions accepts', async () => {
    const name = `n-${'x'.repeat(78)}`;
    const r = await simulate(['--name', name, '--scenario', 'bad-input']);
    expect(r.executionName).toBe(name);
  });
});

describe('--start-time', () => {
  it.each(['1', '2026', '2026-11-22', 'yesterday', '2026-11-22T03:00:00'])(
    'refuses %j: an ISO date and time with a zone is expected',
    (value) => {
      expect(refusal(['--start-time', value])).toBe(
        `--start-time must be an ISO date and time with a zone, such as 2026-01-31T03:00:00Z; got "${value}"`,
      );
    },
  );

  it('takes a time with a zone offset', () => {
    expect(cliOptions(['--start-time', '2026-11-22T04:00:00+01:00']).simulate.startTime?.toISOString()).toBe(
      '2026-11-22T03:00:00.000Z',
    );
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
    const r = await simulate(['--name', 'escape', '--input', input]);
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
    const first = await simulate(['--name', 'folder-a']);
    const stray = path.join(OUT, 'folder-a', 's3', 'old-file.csv');
    fs.writeFileSync(stray, 'from an earlier run');
    const [again, other] = await Promise.all([
      simulate(['--name', 'folder-a']),
      simulate(['--name', 'folder-b']),
    ]);
    expect(again.runDir).toBe(path.join(OUT, 'folder-a'));
    expect(other.runDir).toBe(path.join(OUT, 'folder-b'));
    expect(fs.existsSync(stray)).toBe(false);
    expect(again.filesWritten).toHaveLength(first.filesWritten.length);
    expect(other.filesWritten.every((f) => f.includes('folder-b') || f.includes('map-runs'))).toBe(true);
    for (const f of [...again.filesWritten, ...other.filesWritten])
      expect(fs.existsSync(path.join(OUT, f))).toBe(false);
  });

  it('gives runs started in the same second different names and folders', async () => {
    const [a, b] = await Promise.all([simulate([]), simulate([])]);
    expect(a.executionName).toMatch(/^local-20261122T030000-[0-9a-f]{6}$/);
    expect(b.executionName).not.toBe(a.executionName);
    expect(a.runDir).not.toBe(b.runDir);
  });

  it('refuses a folder another local run is writing, and takes over one whose run is gone', async () => {
    // A process that holds the folder (this one's parent: alive while the test runs) ...
    fs.mkdirSync(OUT, { recursive: true });
    const lock = path.join(OUT, '.busy.lock');
    fs.writeFileSync(lock, `${process.ppid}\n`);
    const err = await refusedRun(['--name', 'busy']);
    expect(err.message).toBe(
      `another local run (process ${process.ppid}) is writing ${path.join(OUT, 'busy')}: wait for it to end, or choose another --name`,
    );
    // ... and one that has ended.
    fs.writeFileSync(lock, '99999999\n');
    expect((await simulate(['--name', 'busy'])).status).toBe('SUCCEEDED');
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('never empties a folder a local run did not write', async () => {
    fs.mkdirSync(path.join(WORK, 'mine', 'keep'), { recursive: true });
    fs.writeFileSync(path.join(WORK, 'mine', 'keep', 'notes.txt'), 'mine');
    const err = await refusedRun(['--out', path.join(WORK, 'mine'), '--name', 'keep']);
    expect(err.message).toMatch(/keep holds files no local run wrote/);
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
    const r = await simulate(['--name', 'near-limit', '--input', input]);
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
    const r = await simulate(['--name', 'long-key', '--input', input]);
    expect(r.status).toBe('FAILED');
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
    const message = String((r.events[0].event.detail.error as { message: string }).message);
    expect(message).toMatch(/^input\["keeee+\.\.\."\]: got 1; expected no such field/);
    expect(JSON.stringify(r.events[0].event).length).toBeLessThan(2_000);
    // The input itself (200 KB) is the largest state input; the error added to it stays small.
    expect(r.counts.largestStateInputBytes).toBeLessThan(200_000 + 2_000);
  });

  it('refuses execution input over 262,144 bytes before starting, as StartExecution does', () => {
    const input = path.join(WORK, 'too-large.json');
    fs.writeFileSync(input, JSON.stringify({ exportNames: ['x'.repeat(MAX_PAYLOAD_BYTES)] }));
    expect(refusal(['--input', input])).toMatch(
      /^--input .* is 262,1\d\d bytes; Step Functions accepts execution input of at most 262,144 bytes$/,
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

  it('says so when --redrive finds nothing to redrive, and keeps stderr empty on a plain run', async () => {
    const r = await command(['--redrive', '--name', 'no-redrive']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ run {16}no redrive: the execution SUCCEEDED: there is nothing to redrive$/m);
    expect(r.stderr).toBe('');
  });
});
