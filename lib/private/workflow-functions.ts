/**
 * The workflow's seven handlers, with Lambda defaults from {@link ExportFunction}, and the service
 * permissions each needs, scoped to the configured transforms, datasets, roles and keys.
 */
import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { JOB_NAME_PREFIX } from '../../contract/names';
import { CATALOG_FILE } from '../../contract/catalog';
import type { GlueExportSpec, PersonalizeExportSpec, PollingSettings } from '../../contract/exports';
import type { ExportCatalog } from './export-catalog';
import { ExportFunction } from './export-function';
import { acknowledgeWildcards } from './nag';
import type { WorkflowFunctions } from '../workflow-props';
import { MAX_LISTED_RESOURCES } from './policy-size';

/** The workflow's handlers, one per task (the public `WorkflowFunctions`, as the functions they are). */
export type WorkflowHandlers = { readonly [K in keyof WorkflowFunctions]: ExportFunction };

export function createWorkflowFunctions(
  scope: Construct,
  options_: { catalog: ExportCatalog; logRetention: RetentionDays; logEncryptionKey?: IKey },
): WorkflowHandlers {
  const fn = (handlerDir: string, description: string, options: { catalog?: boolean } = {}) =>
    new ExportFunction(scope, toPascal(handlerDir), {
      handlerDir,
      description,
      logRetention: options_.logRetention,
      logEncryptionKey: options_.logEncryptionKey,
      ...(options.catalog
        ? {
            bundledFiles: { [CATALOG_FILE]: options_.catalog.file },
            environment: options_.catalog.environment,
          }
        : {}),
    });
  const withCatalog = { catalog: true };
  return {
    prepareRun: fn('prepare-run', 'Validates the run input and lists the exports of the run', withCatalog),
    startGlueExport: fn(
      'start-glue-export',
      'Starts (or adopts) a Glue ML transform label export task run',
      withCatalog,
    ),
    checkGlueExport: fn('get-glue-export-status', 'Checks a Glue label export task run'),
    startPersonalizeExport: fn(
      'start-personalize-export',
      'Creates (or adopts) a Personalize dataset export job',
      withCatalog,
    ),
    checkPersonalizeExport: fn('get-personalize-export-status', 'Checks a Personalize dataset export job'),
    finalizeExport: fn('finalize-export', 'Turns an export outcome into its terminal event', withCatalog),
    summarizeRun: fn(
      'summarize-run',
      'Reads the export results, delivers held export events, and turns them into the run event',
    ),
  };
}

export function grantServiceAccess(
  scope: Construct,
  polling: PollingSettings,
  glueExports: GlueExportSpec[],
  personalizeExports: PersonalizeExportSpec[],
  fns: WorkflowHandlers,
): { transformArns: string[]; exportJobArns: string[] } {
  const stack = Stack.of(scope);
  const transformArns = listedOrWildcard(
    glueExports.map((e) =>
      stack.formatArn({ service: 'glue', resource: 'mlTransform', resourceName: e.transformId }),
    ),
    [() => stack.formatArn({ service: 'glue', resource: 'mlTransform', resourceName: '*' })],
  );
  const datasetArns = listedOrWildcard(
    personalizeExports.map((e) => e.datasetArn),
    [
      // arn:<p>:personalize:<region>:<account>:dataset/<dataset group>/<type>: the group's datasets, ...
      (arn) => arn.replace(/(:dataset\/[^/]+\/).*$/, '$1*'),
      // ... or every dataset of the account and region.
      (arn) => arn.replace(/(:dataset\/).*$/, '$1*'),
    ],
  );
  // Job names are made per run (mlx-<export>-<execution>-<hash>), so the job ARNs end in a wildcard.
  const exportJobArns = unique(personalizeExports.map((e) => datasetExportJobsArn(scope, e.datasetArn)));
  const roleArns = listedOrWildcard(
    personalizeExports.map((e) => e.roleArn),
    [(arn) => arn.replace(/(:role\/).*$/, '$1*')],
  );
  const manyReason = `More than ${MAX_LISTED_RESOURCES} are configured: listing each would outgrow IAM's policy size limit, so the grant covers them by the narrowest wildcard, and Prepare Run admits only configured exports`;

  if (transformArns.length > 0) {
    fns.startGlueExport.addToRolePolicy(
      new PolicyStatement({
        actions: ['glue:StartExportLabelsTaskRun', 'glue:GetMLTaskRuns'],
        resources: transformArns,
      }),
    );
    // CancelMLTaskRun: the status task stops a task run that outlived its export's time limit.
    fns.checkGlueExport.addToRolePolicy(
      new PolicyStatement({
        actions: ['glue:GetMLTaskRun', 'glue:CancelMLTaskRun'],
        resources: transformArns,
      }),
    );
    for (const fn of [fns.startGlueExport, fns.checkGlueExport])
      acknowledgeWildcards(fn.role!, transformArns, manyReason);
  }
  if (datasetArns.length > 0) {
    fns.startPersonalizeExport.addToRolePolicy(
      new PolicyStatement({
        actions: ['personalize:CreateDatasetExportJob'],
        resources: [...datasetArns, ...exportJobArns],
      }),
    );
    fns.startPersonalizeExport.addToRolePolicy(
      new PolicyStatement({ actions: ['personalize:DescribeDatasetExportJob'], resources: exportJobArns }),
    );
    fns.startPersonalizeExport.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['iam:PassRole'],
        resources: roleArns,
        conditions: { StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' } },
      }),
    );
    fns.checkPersonalizeExport.addToRolePolicy(
      new PolicyStatement({ actions: ['personalize:DescribeDatasetExportJob'], resources: exportJobArns }),
    );
    if (polling.strategy === 'history') {
      // The export's past jobs, for history-aware polling. The action has no resource type:
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonpersonalize.html
      fns.startPersonalizeExport.addToRolePolicy(
        new PolicyStatement({ actions: ['personalize:ListDatasetExportJobs'], resources: ['*'] }),
      );
      Validations.of(fns.startPersonalizeExport.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'personalize:ListDatasetExportJobs (read-only job metadata, for history-aware polling) has no resource type, and X-Ray tracing supports no resource-level permissions',
      });
    }
    acknowledgeWildcards(fns.startPersonalizeExport.role!, [...datasetArns, ...roleArns], manyReason);
    for (const fn of [fns.startPersonalizeExport, fns.checkPersonalizeExport]) {
      Validations.of(fn.role!).acknowledge(
        ...exportJobArns.map((arn) => ({
          id: `AwsSolutions-IAM5[Resource::${arn}]`,
          reason: `Export job names are made per run; the ARN is scoped to this app's "${JOB_NAME_PREFIX}" job names in the dataset's account and region`,
        })),
      );
    }
  }
  return { transformArns, exportJobArns };
}

/**
 * The distinct ARNs, or, when there are more than MAX_LISTED_RESOURCES, the first coarsening (ARN to
 * wildcard ARN) that brings them within it; the last one is used whatever the count.
 */
function listedOrWildcard(arns: string[], coarsenings: ((arn: string) => string)[]): string[] {
  let listed = unique(arns);
  for (const coarsen of coarsenings) {
    if (listed.length <= MAX_LISTED_RESOURCES) break;
    listed = unique(listed.map(coarsen));
  }
  return listed;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function toPascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** The Personalize export jobs this workflow names, in the dataset's partition, region and account. */
function datasetExportJobsArn(scope: Construct, datasetArn: string): string {
  const arn = Arn.split(datasetArn, ArnFormat.SLASH_RESOURCE_NAME);
  return Stack.of(scope).formatArn({
    partition: arn.partition,
    service: 'personalize',
    region: arn.region,
    account: arn.account,
    resource: 'dataset-export-job',
    resourceName: `${JOB_NAME_PREFIX}*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}
