// Handlers log through Powertools; tests read their results, not their logs.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// aws-cdk-lib checks every synthesized template against the CloudFormation resource schemas (about a
// second a synth, three more to start); test/lib/cloudformation-validation.test.ts does it once for each
// configuration variant, the other template tests read the template only.
process.env.CDK_VALIDATION = 'false';
