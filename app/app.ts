import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as path from 'node:path';
import { ConfigurationError, readConfigFile } from './config';
import { MlExportsStack } from './ml-exports-stack';

export const CONFIG_FILE_CONTEXT_KEY = 'mlExports:configFile';
export const DEFAULT_CONFIG_FILE = 'config/example.json';
export const STACK_NAME = 'MlExports';
/** A second deployment in the same account and region (staging beside prod) needs a stack of its own. */
export const STACK_NAME_CONTEXT_KEY = 'mlExports:stackName';
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * Builds the app from the configuration file named by the `mlExports:configFile` context key, relative to
 * the project folder, as the stack named by `mlExports:stackName` (default MlExports), with the cdk-nag
 * AwsSolutions checks applied: a finding fails the synth. Shared by bin/app.ts (what `cdk synth` runs), the
 * local run and the tests.
 */
export function buildApp(app: App): MlExportsStack {
  const file = String(app.node.tryGetContext(CONFIG_FILE_CONTEXT_KEY) ?? DEFAULT_CONFIG_FILE);
  const resolved = path.resolve(__dirname, '..', file);
  const stackName = String(app.node.tryGetContext(STACK_NAME_CONTEXT_KEY) ?? STACK_NAME);
  // CloudFormation stack names: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
  if (!STACK_NAME_PATTERN.test(stackName)) {
    throw ConfigurationError.of(`-c ${STACK_NAME_CONTEXT_KEY}`, [
      {
        field: STACK_NAME_CONTEXT_KEY,
        value: stackName,
        expected: '1-128 letters, digits or "-", starting with a letter',
      },
    ]);
  }
  const stack = new MlExportsStack(app, stackName, {
    config: readConfigFile(resolved),
    configSource: file,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
