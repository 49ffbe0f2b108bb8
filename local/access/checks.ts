/**
 * What every local run checks on the template, for the parts of the deployment a run does not exercise
 * itself: when an alarm fires, could CloudWatch publish to its topic (and use the topic's key)? When a rule
 * matches, could EventBridge invoke its target (and reach its dead-letter queue)? When the schedule fires,
 * could EventBridge Scheduler assume its role and start the state machine (and reach its dead-letter queue)?
 * When a function fails past its retries, could Lambda send the event to its dead-letter queue? Could Step
 * Functions assume the state machine's role and set up its log delivery? Each is a request the authorizer decides as AWS would.
 */
import type { AccessDecision, AccessRequest, Authorizer } from './authorizer';
import { roleSession, servicePrincipal } from './callers';
import { readableName } from '../assembly';

export interface AccessCheck {
  readonly description: string;
  readonly allowed: boolean;
  /** The first denial's message. */
  readonly message?: string;
}

interface PlannedCheck {
  readonly description: string;
  readonly requests: AccessRequest[];
}

const nameOf = (arn: string) => readableName(arn.split(/[:/]/).pop() ?? arn);

/**
 * SNS publishes for a service with the key's data keys: the publisher needs kms:GenerateDataKey* and
 * kms:Decrypt. https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
const TOPIC_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * Step Functions sets up a state machine's log delivery as its role.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
 */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

function plannedChecks(authorizer: Authorizer): PlannedCheck[] {
  const { model } = authorizer;
  const { account } = model.place;
  const checks: PlannedCheck[] = [];
  const cloudWatch = servicePrincipal('cloudwatch.amazonaws.com', 'CloudWatch');
  for (const alarm of model.alarms) {
    const context = { 'aws:SourceArn': alarm.arn, 'aws:SourceAccount': account };
    for (const topic of alarm.actions.filter((a) => model.topics.has(a))) {
      const key = model.topics.get(topic)?.kmsKeyArn;
      checks.push({
        description: `alarm ${nameOf(alarm.arn)} fires: CloudWatch publishes to topic ${nameOf(topic)}${key ? ' with its KMS key' : ''}`,
        requests: [
          { caller: cloudWatch, action: 'sns:Publish', resource: topic, context, by: 'check' },
          ...(key
            ? TOPIC_KEY_ACTIONS.map((action) => ({
                caller: cloudWatch,
                action,
                resource: key,
                context,
                by: 'check' as const,
              }))
            : []),
        ],
      });
    }
  }
  const eventBridge = servicePrincipal('events.amazonaws.com', 'EventBridge');
  for (const rule of model.rules) {
    const context = { 'aws:SourceArn': rule.arn, 'aws:SourceAccount': account };
    for (const target of rule.targets) {
      const requests: AccessRequest[] = [];
      if (target.arn.startsWith('arn:aws:lambda:'))
        requests.push({
          caller: eventBridge,
          action: 'lambda:InvokeFunction',
          resource: target.arn,
          context,
          by: 'check',
        });
      // A log group: the account's CloudWatch Logs resource policy must let EventBridge write to it.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
      if (/^arn:aws:logs:.*:log-group:/.test(target.arn))
        for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
          requests.push({
            caller: eventBridge,
            action,
            resource: `${target.arn.replace(/:\*$/, '')}:log-stream:events`,
            context,
            by: 'check',
          });
      if (target.deadLetterArn)
        requests.push({
          caller: eventBridge,
          action: 'sqs:SendMessage',
          resource: target.deadLetterArn,
          context,
          by: 'check',
        });
      if (requests.length > 0)
        checks.push({
          description: `rule ${nameOf(rule.arn)} matches: EventBridge delivers to ${nameOf(target.arn)}`,
          requests,
        });
    }
  }
  const scheduler = servicePrincipal('scheduler.amazonaws.com', 'EventBridge Scheduler');
  for (const schedule of model.schedules) {
    const role = roleSession(schedule.roleArn, 'scheduler', 'the schedule');
    checks.push({
      description: `schedule ${readableName(schedule.logicalId)} fires: Scheduler assumes its role and starts ${nameOf(schedule.targetArn)}`,
      requests: [
        {
          caller: scheduler,
          action: 'sts:AssumeRole',
          resource: schedule.roleArn,
          context: { 'aws:SourceArn': schedule.groupArn, 'aws:SourceAccount': account },
          by: 'check',
        },
        { caller: role, action: 'states:StartExecution', resource: schedule.targetArn, by: 'check' },
        // https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
        ...(schedule.deadLetterArn
          ? [
              {
                caller: role,
                action: 'sqs:SendMessage',
                resource: schedule.deadLetterArn,
                by: 'check' as const,
              },
            ]
          : []),
      ],
    });
  }
  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
  for (const destination of model.failureDestinations) {
    const name = readableName(destination.functionLogicalId);
    checks.push({
      description: `${name} fails past its retries: Lambda sends the event to ${nameOf(destination.destinationArn)} as its role`,
      requests: [
        {
          caller: roleSession(destination.roleArn, destination.functionLogicalId, name),
          action: 'sqs:SendMessage',
          resource: destination.destinationArn,
          by: 'check',
        },
      ],
    });
  }
  const machine = model.stateMachine;
  if (machine) {
    const role = roleSession(machine.roleArn, 'deployment', 'the state machine');
    checks.push({
      description: `Step Functions assumes the state machine's role${machine.logging ? ' and sets up its log delivery' : ''}`,
      requests: [
        {
          caller: servicePrincipal('states.amazonaws.com', 'Step Functions'),
          action: 'sts:AssumeRole',
          resource: machine.roleArn,
          context: { 'aws:SourceArn': machine.arn, 'aws:SourceAccount': account },
          by: 'check',
        },
        ...(machine.logging
          ? LOG_DELIVERY_ACTIONS.map((action) => ({
              caller: role,
              action,
              resource: '*',
              by: 'check' as const,
            }))
          : []),
      ],
    });
  }
  return checks;
}

/** Runs every check on the template; each request is recorded for the permissions report. */
export async function checkTemplate(authorizer: Authorizer): Promise<AccessCheck[]> {
  const results: AccessCheck[] = [];
  for (const check of plannedChecks(authorizer)) {
    let denied: AccessDecision | undefined;
    for (const request of check.requests) {
      const decision = await authorizer.authorize(request);
      if (!decision.allowed) {
        denied = decision;
        break;
      }
    }
    results.push({
      description: check.description,
      allowed: !denied,
      ...(denied ? { message: denied.message } : {}),
    });
  }
  return results;
}
