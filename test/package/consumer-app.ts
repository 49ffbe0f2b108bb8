/**
 * The TypeScript source of an app that uses the installed package as a construct user would: two
 * workflows in one stack (same id under two parents) and a second stack with the same construct paths,
 * the grant, metric and on methods, an event bus of another account, and aws-cdk-lib's template
 * validation with its rules as errors. It prints what the test checks, as JSON.
 */
export const FOREIGN_ACCOUNT = '444455556666';

export const CONSUMER_APP = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ExportBucket,
  ExportLocation,
  IngestionMode,
  MlExportWorkflow,
  PollingStrategy,
} from 'ml-exports';

const env = { account: '111122223333', region: 'us-east-1' };
const app = new App({
  outdir: process.argv[2],
  builtinCloudFormationValidation: true,
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});

/** Whatever on*() threw, by the workflow's path. */
const refused: Record<string, string> = {};

function addWorkflows(stack: Stack, forwarded: boolean): void {
  const bucket = new ExportBucket(stack, 'ExportBucket').bucket;
  const starter = new Role(stack, 'Starter', { assumedBy: new AccountRootPrincipal() });
  const events = new Queue(stack, 'Events', { enforceSSL: true });

  const teamA = new MlExportWorkflow(new Construct(stack, 'TeamA'), 'Exports', {
    glueExports: [{ name: 'labels', transformId: 'tfm-1', output: ExportLocation.fromBucket(bucket, 'labels/') }],
    personalizeExports: [
      {
        name: 'interactions',
        datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/shop/INTERACTIONS',
        output: ExportLocation.fromBucket(bucket, 'interactions/'),
        ingestionMode: IngestionMode.ALL,
      },
    ],
    pollingStrategy: PollingStrategy.BACKOFF,
    outputBucket: bucket,
  });
  teamA.grantStartExecution(starter);
  teamA.onExportSucceeded('Succeeded', { target: new SqsQueue(events) });
  teamA.onExportFailed('Failed', { target: new SqsQueue(events) });
  teamA.onRunCompleted('RunCompleted', { target: new SqsQueue(events) });
  for (const [id, metric] of [
    ['Succeeded', teamA.metricExportsSucceeded()],
    ['Failed', teamA.metricExportsFailed()],
    ['TimedOut', teamA.metricExportsTimedOut({ period: Duration.hours(1) })],
  ] as const)
    new Alarm(stack, \`Exports\${id}\`, { metric, threshold: 1, evaluationPeriods: 1 });

  const centralBus = EventBus.fromEventBusArn(
    stack,
    'CentralBus',
    'arn:aws:events:us-east-1:${FOREIGN_ACCOUNT}:event-bus/central',
  );
  const teamB = new MlExportWorkflow(new Construct(stack, 'TeamB'), 'Exports', {
    glueExports: [{ name: 'labels', transformId: 'tfm-2', output: ExportLocation.fromS3Uri('s3://team-b-exports/labels/') }],
    eventBus: centralBus,
    forwardedEventBus: forwarded ? new EventBus(stack, 'Forwarded') : undefined,
  });
  try {
    teamB.onExportFailed('Failed', { target: new SqsQueue(events) });
    teamB.onRunCompleted('RunCompleted', { target: new SqsQueue(events) });
  } catch (err) {
    refused[teamB.node.path] = (err as Error).message;
  }
}

const prod = new Stack(app, 'Prod', { env });
addWorkflows(prod, false);
const staging = new Stack(app, 'Staging', { env });
addWorkflows(staging, true);

const assembly = app.synth();
console.log(
  JSON.stringify({
    refused,
    messages: assembly.stacks.flatMap((s) =>
      s.messages.filter((m) => m.level !== 'info').map((m) => \`\${m.level} \${m.id}: \${String(m.entry.data)}\`),
    ),
  }),
);
`;
