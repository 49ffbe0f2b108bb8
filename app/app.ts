import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as path from 'node:path';
import { readConfigFile } from './config';
import { MlExportsStack } from './ml-exports-stack';

export const CONFIG_FILE_CONTEXT_KEY = 'mlExports:configFile';
export const DEFAULT_CONFIG_FILE = 'config/example.json';
export const STACK_NAME = 'MlExports';

/**
 * Builds the app from the configuration file named by the `mlExports:configFile` context key, relative to
 * the project folder, with the cdk-nag AwsSolutions checks applied: a finding fails the synth. Shared by
 * bin/app.ts (what `cdk synth` runs), the local run and the tests.
 */
export function buildApp(app: App): MlExportsStack {
  const file = String(app.node.tryGetContext(CONFIG_FILE_CONTEXT_KEY) ?? DEFAULT_CONFIG_FILE);
  const resolved = path.resolve(__dirname, '..', file);
  const stack = new MlExportsStack(app, STACK_NAME, {
    config: readConfigFile(resolved),
    configSource: file,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
