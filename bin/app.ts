#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigurationError } from '../lib/workflow-props-check';

try {
  buildApp(new App());
} catch (err) {
  // A configuration problem is the user's to fix: show the message, not a stack trace.
  if (!(err instanceof ConfigurationError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
