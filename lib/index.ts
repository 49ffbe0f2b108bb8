/**
 * The construct library: import the workflow into your own CDK app. Everything else in lib/ is private
 * (lib/private/), free to change between versions.
 */
export { MlExportWorkflow } from './ml-export-workflow';
export type {
  GlueExportProps,
  MlExportWorkflowProps,
  PersonalizeExportProps,
  WorkflowFunctions,
} from './workflow-props';
export { ExportLocation } from './export-location';
export { ExportBucket, type ExportBucketProps } from './export-bucket';
export { ExportEventType, IngestionMode, PollingStrategy } from './enums';
