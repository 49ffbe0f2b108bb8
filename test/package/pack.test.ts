import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONSUMER_APP, FOREIGN_ACCOUNT } from './consumer-app';

const ROOT = path.join(__dirname, '../..');

interface Resource {
  Type: string;
  Properties: Record<string, unknown> & { Handler?: string; Code?: { S3Key?: string } };
}
type Template = { Resources: Record<string, Resource> };

/**
 * The package as another CDK app gets it: `npm pack` of what the tier's global setup built
 * (test/package/global-setup.cjs), installed offline, once, into a throw-away app whose dependencies and
 * peers (aws-cdk-lib, constructs) are this repository's, linked; then a TypeScript app type-checked
 * against the package's declarations and synthesized with plain Node, no esbuild.
 */
describe('the packed construct library', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-consumer-'));
  const outdir = path.join(dir, 'cdk.out');
  const npm = (...args: string[]) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
  let tarball: string;
  let printed: { refused: Record<string, string>; messages: string[] };
  const template = (stack: string) =>
    JSON.parse(fs.readFileSync(path.join(outdir, `${stack}.template.json`), 'utf8')) as Template;
  const resources = (stack: string, type: string) =>
    Object.entries(template(stack).Resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    // The build ran in the global setup; packing again would rebuild (prepack).
    const packed = JSON.parse(npm('pack', ROOT, '--json', '--ignore-scripts')) as { filename: string }[];
    tarball = path.join(dir, packed[0].filename);
    // Offline, npm can resolve nothing from the registry: the package's dependencies and peers are this
    // repository's copies, linked (`file:`), which satisfy the package's ranges.
    const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const linked = Object.fromEntries(
      [...Object.keys(own.dependencies), ...Object.keys(own.peerDependencies)].map((name) => [
        name,
        `file:${path.join(ROOT, 'node_modules', name)}`,
      ]),
    );
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies: linked }),
    );
    npm('install', '--offline', tarball);

    fs.writeFileSync(path.join(dir, 'app.ts'), CONSUMER_APP);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'commonjs',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        files: ['app.ts'],
      }),
    );
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      encoding: 'utf8',
    });
    // aws-cdk-lib's template validation on (the other tiers turn it off: test/setup-env.cjs).
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.CDK_VALIDATION;
    printed = JSON.parse(
      execFileSync(process.execPath, ['app.js', outdir], { cwd: dir, encoding: 'utf8', env }),
    ) as typeof printed;
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ships the built library, its jsii assembly and the bundled handlers, not the sources or the tests', () => {
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(listed).toEqual(
      expect.arrayContaining([
        'package/.jsii',
        'package/API.md',
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/lambda/prepare-run/index.js',
        'package/dist/lambda/summarize-run/index.js',
        'package/node_modules/zod/package.json',
      ]),
    );
    // Ours only: the bundled zod ships its own sources.
    const own = listed.filter((f) => !f.startsWith('package/node_modules/'));
    expect(own.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(own.filter((f) => /^package\/(test|local|app|bin|dist\/lambda\/shared)\//.test(f))).toEqual([]);
  });

  it('synthesizes two workflows in each of two stacks with no validation finding, warning or error', () => {
    expect(printed.messages).toEqual([]);
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => r.pluginName)).toContain('CloudFormation Validate');
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
    for (const stack of ['Prod', 'Staging'])
      expect(resources(stack, 'AWS::StepFunctions::StateMachine')).toHaveLength(2);
    // Same construct paths in two stacks of one account: every physical name differs.
    const logGroups = ['Prod', 'Staging'].flatMap((s) =>
      resources(s, 'AWS::Logs::LogGroup')
        .map(([, r]) => r.Properties.LogGroupName)
        .filter((n): n is string => typeof n === 'string'),
    );
    expect(logGroups.filter((n) => n.startsWith('/aws/vendedlogs/states/'))).toHaveLength(4);
    expect(new Set(logGroups).size).toBe(logGroups.length);
  });

  it('deploys the prebundled handlers: no esbuild in the consumer', () => {
    expect(fs.existsSync(path.join(dir, 'node_modules', 'esbuild'))).toBe(false);
    const functions = resources('Prod', 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(14);
    for (const [, fn] of functions) {
      expect(fn.Properties.Handler).toBe('index.handler');
      const asset = path.join(outdir, `asset.${fn.Properties.Code!.S3Key!.replace(/\.zip$/, '')}`);
      expect(fs.statSync(path.join(asset, 'index.js')).size).toBeGreaterThan(1000);
    }
  });

  it('grants starting a run and alarms on the export metrics of one deployment', () => {
    const [teamA] = resources('Prod', 'AWS::StepFunctions::StateMachine').filter(([id]) =>
      id.startsWith('TeamA'),
    );
    const starter = resources('Prod', 'AWS::IAM::Policy').filter(([id]) =>
      id.startsWith('StarterDefaultPolicy'),
    );
    expect(JSON.stringify(starter)).toContain(
      JSON.stringify({ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: teamA[0] } }),
    );
    const alarms = resources('Prod', 'AWS::CloudWatch::Alarm')
      .filter(([id]) => id.startsWith('Exports'))
      .map(([, r]) => r.Properties);
    expect(alarms.map((a) => a.MetricName).sort()).toEqual([
      'ExportsFailed',
      'ExportsSucceeded',
      'ExportsTimedOut',
    ]);
    for (const alarm of alarms) {
      expect(alarm.Namespace).toBe('MlExports');
      expect(JSON.stringify(alarm.Dimensions)).toContain(teamA[0]);
    }
  });

  it('makes the on*() rules on the bus of its own account, for its own runs', () => {
    const [[teamA]] = resources('Prod', 'AWS::StepFunctions::StateMachine').filter(([id]) =>
      id.startsWith('TeamA'),
    );
    const rules = resources('Prod', 'AWS::Events::Rule')
      .filter(([id]) => /^TeamAExports(Succeeded|Failed|RunCompleted)[0-9A-F]{8}$/.test(id))
      .map(([, r]) => r.Properties);
    expect(rules.map((r) => r.EventBusName)).toEqual(['default', 'default', 'default']);
    const patterns = rules.map((r) => r.EventPattern as { 'detail-type': string[]; detail: unknown });
    expect(patterns.map((p) => p['detail-type']).sort()).toEqual([
      ['ML Export Failed'],
      ['ML Export Run Completed'],
      ['ML Export Succeeded'],
    ]);
    // Executions of TeamA's state machine only (TeamB's events share the source).
    for (const pattern of patterns) expect(JSON.stringify(pattern.detail)).toContain(`"${teamA}"`);
  });

  it('refuses rules on an event bus of another account, and makes them on the bus it forwards to', () => {
    expect(printed.refused).toEqual({
      'Prod/TeamB/Exports': expect.stringMatching(
        new RegExp(`bus of account ${FOREIGN_ACCOUNT}: .*eventPattern\\(\\).*forwardedEventBus`),
      ),
    });
    const teamBRules = /^TeamBExports(Failed|RunCompleted)[0-9A-F]{8}$/;
    expect(resources('Prod', 'AWS::Events::Rule').filter(([id]) => teamBRules.test(id))).toEqual([]);
    const [[forwarded]] = resources('Staging', 'AWS::Events::EventBus');
    const rules = resources('Staging', 'AWS::Events::Rule')
      .filter(([id]) => teamBRules.test(id))
      .map(([, r]) => r.Properties.EventBusName);
    expect(rules).toEqual([{ Ref: forwarded }, { Ref: forwarded }]);
  });
});
