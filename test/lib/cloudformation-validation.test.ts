/**
 * aws-cdk-lib's own check of each synthesized template against the CloudFormation resource schemas and
 * its rules (off in the other template tests, for speed: test/setup-env.cjs), once per configuration
 * variant: none may report anything, not even a warning.
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.AppProps.html#builtincloudformationvalidation
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlExportsStack } from '../../app/ml-exports-stack';
import { ALL_OPTIONS_CONFIG, example } from './helpers';

interface Report {
  pluginReports: { pluginName: string; violations: { ruleName: string; description: string }[] }[];
}

/** The violations aws-cdk-lib's validation reports for the stack `build` adds to a new app. */
function violations(build: (app: App) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-validate-'));
  const app = new App({ outdir, builtinCloudFormationValidation: true });
  build(app);
  const saved = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  try {
    app.synth();
  } finally {
    process.env.CDK_VALIDATION = saved;
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  return report.pluginReports.flatMap((r) => r.violations.map((v) => `${v.ruleName}: ${v.description}`));
}

const configured = (config: unknown) => (app: App) =>
  new MlExportsStack(app, 'Validated', {
    config,
    configSource: 'test',
    env: { region: 'us-east-1', account: '111122223333' },
  });

describe('CloudFormation validation of the synthesized template', () => {
  it.each([
    ['the example configuration', example],
    ['every optional resource created', ALL_OPTIONS_CONFIG],
  ])('finds nothing in %s', (_name, config) => {
    expect(violations(configured(config))).toEqual([]);
  });

  it('reports what it finds (so that nothing found means something)', () => {
    // aws-cdk-lib also prints the finding; the test reads the report.
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const found = violations((app) => {
      const stack = new Stack(app, 'Broken', { env: { region: 'us-east-1', account: '111122223333' } });
      new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { DelaySeconds: 'soon' } });
    });
    expect(found).toEqual([expect.stringContaining('DelaySeconds')]);
  });
});
