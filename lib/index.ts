/**
 * The construct library: import the workflow into your own CDK app.
 * @example
 * import { MlExportWorkflow } from 'ml-exports';
 * new MlExportWorkflow(stack, 'Exports', { glueExports: [...], personalizeExports: [...] });
 */
export {
  ConfigurationError,
  MlExportWorkflow,
  type GlueExportProps,
  type MlExportWorkflowProps,
  type PersonalizeExportProps,
  type WorkflowFunctions,
} from './ml-export-workflow';
export { EventSchemas, EVENT_DETAIL_SCHEMAS } from './event-schemas';
export { ExportFunction, type ExportFunctionProps } from './export-function';
export { DeadLetterQueue } from './dead-letter-queue';
export { ExportOperations } from './export-operations';
export { OutputBucket, type OutputBucketProps } from './output-bucket';
export { PersonalizeExportRole } from './personalize-export-role';
export { RunResultsBucket } from './run-results-bucket';
export { StoppedRunCleanup } from './stopped-run-cleanup';
export { EXPORT_DETAIL_TYPES, RUN_DETAIL_TYPES, ERROR_NAMES } from '../contract/names';
export type { ExportEventDetail, RunEventDetail } from '../contract/events';
