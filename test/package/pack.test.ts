import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');

/**
 * The package as another CDK app gets it: `npm pack` (which builds it), installed offline into a
 * throw-away app whose dependencies and peers (aws-cdk-lib, constructs) are this repository's, linked,
 * then a stack synthesized from it with plain Node, no TypeScript and no esbuild.
 */
describe('the packed construct library', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-consumer-'));
  const npm = (...args: string[]) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
  let tarball: string;

  beforeAll(() => {
    // Lifecycle scripts (prepack builds the package) may print before the JSON.
    const printed = npm('pack', ROOT, '--json');
    const packed = JSON.parse(printed.slice(printed.search(/^\[/m))) as {
      filename: string;
      files: { path: string }[];
    }[];
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
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ships the built library and the bundled handlers, not the sources or the tests', () => {
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(listed).toEqual(
      expect.arrayContaining([
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/lambda/prepare-run/index.js',
        'package/dist/lambda/summarize-run/index.js',
      ]),
    );
    expect(listed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(listed.filter((f) => f.startsWith('package/test/') || f.startsWith('package/local/'))).toEqual([]);
  });

  it('synthesizes a stack in an app that imports it, deploying the prebundled handlers', () => {
    const app = `
      const { App, Stack } = require('aws-cdk-lib');
      const { Bucket } = require('aws-cdk-lib/aws-s3');
      const { MlExportWorkflow } = require('ml-exports');
      const app = new App({ outdir: ${JSON.stringify(path.join(dir, 'cdk.out'))} });
      const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });
      const workflow = new MlExportWorkflow(stack, 'Exports', {
        glueExports: [{ name: 'labels', transformId: 'tfm-1', outputS3Prefix: 's3://consumer-bucket/labels/' }],
      });
      app.synth();
      console.log(JSON.stringify({ stateMachine: stack.resolve(workflow.stateMachine.stateMachineArn) !== undefined }));
    `;
    fs.writeFileSync(path.join(dir, 'app.js'), app);
    const out = execFileSync(process.execPath, ['app.js'], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ stateMachine: true });
    // No esbuild in the consumer: every function's asset is a prebundled handler (with its catalog).
    expect(fs.existsSync(path.join(dir, 'node_modules', 'esbuild'))).toBe(false);
    const template = JSON.parse(
      fs.readFileSync(path.join(dir, 'cdk.out', 'Consumer.template.json'), 'utf8'),
    ) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Handler?: string; Code?: { S3Key?: string } } }
      >;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const fn of functions) {
      expect(fn.Properties.Handler).toBe('index.handler');
      const asset = path.join(dir, 'cdk.out', `asset.${fn.Properties.Code!.S3Key!.replace(/\.zip$/, '')}`);
      expect(fs.statSync(path.join(asset, 'index.js')).size).toBeGreaterThan(1000);
    }
    expect(
      Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine'),
    ).toHaveLength(1);
  });
});
