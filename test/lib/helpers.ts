/** Shared by the template tests in test/lib: the example configuration and a synth without bundling. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlExportsStack } from '../../app/ml-exports-stack';

export const example = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../config/example.json'), 'utf8'),
) as Record<string, unknown>;
export const TRANSFORM_ID = 'tfm-0123456789abcdef0123456789abcdef';
export const DATASET_ARN = 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS';
export const ROLE_ARN = 'arn:aws:iam::111122223333:role/PersonalizeExportRole';

/** Every optional resource created or named (config/all-options.json), as a user runs it too. */
export const ALL_OPTIONS_CONFIG = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../config/all-options.json'), 'utf8'),
) as Record<string, unknown>;

/** Lambda bundling is skipped: these tests read the template, not the code. */
export const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

const synthesized = new Map<string, { stack: MlExportsStack; template: Template }>();

/**
 * The stack and template of one configuration, synthesized in this process once however many tests of
 * the file read them (tests read templates, they never change them). A configuration that fails throws
 * each time.
 */
export function synth(config: unknown, env = { region: 'us-east-1', account: '111122223333' }) {
  const key = JSON.stringify([config, env]);
  let done = synthesized.get(key);
  if (!done) {
    const stack = new MlExportsStack(newApp(), 'Test', { config, configSource: 'test', env });
    done = { stack, template: Template.fromStack(stack) };
    synthesized.set(key, done);
  }
  return done;
}

/** The state machine may put events on this bus (and the test fails if the statement is missing). */
export function expectPutEventsOn(template: Template, bus: string): void {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:events:us-east-1:111122223333:event-bus/${bus}`],
            ],
          },
        }),
      ]),
    },
  });
}

/** Properties every bucket of the stack has: S3-managed encryption and all public access blocked. */
export const PRIVATE_SSE_S3_BUCKET = {
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
};

export type State = Record<string, unknown> & { Type: string };
export function allStates(definition: Record<string, unknown>): Record<string, State> {
  const out: Record<string, State> = {};
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      out[name] = state;
      const nested = state.ItemProcessor as { States: Record<string, State> } | undefined;
      if (nested) visit(nested.States);
    }
  };
  visit(definition.States as Record<string, State>);
  return out;
}
