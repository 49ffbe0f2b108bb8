#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../app/app';
import { ConfigurationError } from '../app/config';

try {
  buildApp(
    new App({
      // aws-cdk-lib's check of the template against the CloudFormation schemas takes longer than the rest
      // of the synth; the tests run it on every configuration variant (test/lib/cloudformation-validation).
      // CDK_VALIDATION=true turns it on here too.
      builtinCloudFormationValidation: process.env.CDK_VALIDATION === 'true',
    }),
  );
} catch (err) {
  // A configuration problem is the user's to fix: show the message, not a stack trace.
  if (!(err instanceof ConfigurationError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
