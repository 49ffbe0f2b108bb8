import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type ExportBucket, MlExportWorkflow } from '../lib';
import { AlarmTopic } from './alarm-topic';
import { workflowPropsFromConfig } from './config';

export interface MlExportsStackProps extends StackProps {
  /** The parsed configuration file (see app/config.ts and config/example.json). */
  readonly config: unknown;
  /** Where the configuration came from, for error messages. */
  readonly configSource: string;
}

/** The deployable app: one export workflow built from the configuration file. */
export class MlExportsStack extends Stack {
  public readonly workflow: MlExportWorkflow;
  public readonly alarmTopic?: AlarmTopic;
  /** The bucket the app creates, with `createOutputBucket`. */
  public readonly outputBucket?: ExportBucket;

  constructor(scope: Construct, id: string, props: MlExportsStackProps) {
    super(scope, id, props);
    const {
      props: workflowProps,
      config,
      outputBucket,
    } = workflowPropsFromConfig(this, props.config, props.configSource);
    this.outputBucket = outputBucket;
    this.workflow = new MlExportWorkflow(this, 'Workflow', workflowProps);
    if (config.alarmEmail) {
      this.alarmTopic = new AlarmTopic(this, 'Alarms', { workflow: this.workflow, email: config.alarmEmail });
    }
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventSource', { value: this.workflow.eventSource });
    new CfnOutput(this, 'DashboardName', { value: this.workflow.dashboard.dashboardName });
    if (outputBucket) new CfnOutput(this, 'OutputBucketName', { value: outputBucket.bucket.bucketName });
    if (this.workflow.personalizeRole) {
      new CfnOutput(this, 'PersonalizeExportRoleArn', { value: this.workflow.personalizeRole.roleArn });
    }
  }
}
