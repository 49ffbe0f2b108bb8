/**
 * Many deployments per account: two workflows in one stack, the same id under two parents, a second stack of
 * the same app and ids CloudWatch Logs would refuse: every physical name this construct sets is unique
 * and valid, and the dashboard's is CloudFormation's.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { ExportLocation, MlExportWorkflow } from '../../lib';
import { TRANSFORM_ID } from './helpers';

/** CreateLogGroup: 1-512 of `a-z A-Z 0-9 _ - / . #`. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

const props = (prefix: string) => ({
  glueExports: [
    {
      name: 'labels',
      transformId: TRANSFORM_ID,
      output: ExportLocation.fromS3Uri(`s3://exports-bucket/${prefix}/`),
    },
  ],
});

describe('many deployments in one account', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const env = { region: 'us-east-1', account: '111122223333' };
  const prod = new Stack(app, 'Prod', { env });
  new MlExportWorkflow(prod, 'Exports', props('a'));
  new MlExportWorkflow(prod, 'MoreExports', props('b'));
  new MlExportWorkflow(new Construct(prod, 'TeamA'), 'Exports', props('c'));
  new MlExportWorkflow(new Construct(prod, 'TeamB'), 'Exports', props('d'));
  new MlExportWorkflow(prod, `Exports-Ünïcødé 😀/${'x'.repeat(600)}`.replace('/', '-'), props('e'));
  const staging = new Stack(app, 'Staging', { env });
  new MlExportWorkflow(staging, 'Exports', props('a'));
  const templates = [Template.fromStack(prod), Template.fromStack(staging)];
  const names = (type: string) =>
    templates.flatMap((t) => Object.values(t.findResources(type)).map((r) => r.Properties.LogGroupName));

  it('gives every log group a valid name of its own', () => {
    const logGroups = names('AWS::Logs::LogGroup').filter((n) => typeof n === 'string');
    // State machine and export-event logs of six workflows (the functions' log groups are named by Lambda).
    expect(logGroups.length).toBeGreaterThanOrEqual(12);
    expect(new Set(logGroups).size).toBe(logGroups.length);
    for (const name of logGroups) expect(name).toMatch(LOG_GROUP_NAME);
    const stateMachineLogs = logGroups.filter((n: string) => n.startsWith('/aws/vendedlogs/states/'));
    expect(stateMachineLogs).toHaveLength(6);
    expect(stateMachineLogs).toContainEqual(
      expect.stringMatching(/^\/aws\/vendedlogs\/states\/Prod-TeamA-Exports-/),
    );
    expect(Math.max(...stateMachineLogs.map((n: string) => n.length))).toBeLessThanOrEqual(512);
  });

  it('differs between two apps of the same paths deployed under two stack names', () => {
    const deployed = (stackName: string) => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'MlExports', {
        env,
        stackName,
      });
      new MlExportWorkflow(stack, 'Workflow', props('a'));
      const t = Template.fromStack(stack);
      return [
        ...Object.values(t.findResources('AWS::Logs::LogGroup')).map((r) => r.Properties.LogGroupName),
        ...Object.values(t.findResources('AWS::Logs::ResourcePolicy')).map((r) => r.Properties.PolicyName),
      ].filter((n) => typeof n === 'string');
    };
    const prod = deployed('ml-exports-prod');
    const staging = deployed('ml-exports-staging');
    expect(prod).toHaveLength(3); // the state machine's and the export events' log groups, the events' policy
    expect(prod.filter((n) => staging.includes(n))).toEqual([]);
    expect(prod).toContainEqual(
      expect.stringMatching(/^\/aws\/vendedlogs\/states\/ml-exports-prod-Workflow-[0-9A-F]{8}$/),
    );
  });

  it('names no dashboard: CloudFormation makes each name unique', () => {
    for (const t of templates)
      for (const d of Object.values(t.findResources('AWS::CloudWatch::Dashboard')))
        expect(d.Properties.DashboardName).toBeUndefined();
  });

  it('refuses a dashboard name CloudWatch would refuse, naming it', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env });
    expect(
      () => new MlExportWorkflow(stack, 'Exports', { ...props('a'), dashboardName: 'ml exports!' }),
    ).toThrow('dashboardName: got "ml exports!"; expected 1-255 letters, digits, "-" or "_"');
    new MlExportWorkflow(stack, 'Named', { ...props('b'), dashboardName: 'ml-exports-prod' });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'ml-exports-prod',
    });
  });
});
