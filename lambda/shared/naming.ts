/**
 * Deterministic names for what a run creates, so a retried or redriven start finds the job it already
 * started instead of starting a second one, and so runs never overwrite each other's output.
 */
import { parseArn, withResource } from './arn';
import { exportJobNamePrefix, JOB_NAME_PREFIX } from '../../contract/names';
import { createHash } from 'node:crypto';
import type { ExportSpec, ExportTask, RunContext } from './types';

/** `<prefix><yyyy-mm-dd>/<execution name>/`, the date being the execution's start date (UTC). */
export function runOutputPath(prefix: string, startTime: string, executionName: string): string {
  return `${prefix}${startTime.slice(0, 10)}/${executionName}/`;
}

const JOB_NAME_MAX = 63;
export { exportJobNamePrefix, JOB_NAME_PREFIX };

/**
 * A Personalize job name (`^[a-zA-Z0-9][a-zA-Z0-9\-_]*`, at most 63 characters): the export's own prefix
 * (`mlx-<length of its name>-<name>-`, which no other export's jobs start with: see exportJobNamePrefix), the
 * execution name, and a short hash of the run's execution ARN and the export's name, so that truncation or
 * sanitizing never makes two equal, and two deployments in one account (their state machines differ) never
 * name a job alike even for the same export and execution names. A redriven run keeps its ARN, and so its
 * jobs' names. The export's prefix (at most 48 characters) is never truncated.
 */
export function personalizeJobName(
  run: Pick<RunContext, 'executionName' | 'executionArn'>,
  exportName: string,
): string {
  const hash = createHash('sha256').update(`${run.executionArn}\n${exportName}`).digest('hex').slice(0, 8);
  const readable = `${exportJobNamePrefix(exportName)}${run.executionName.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  return `${readable.slice(0, JOB_NAME_MAX - hash.length - 1)}-${hash}`;
}

/** arn:<partition>:personalize:<region>:<account>:dataset-export-job/<jobName>, in the dataset's account. */
export function datasetExportJobArn(datasetArn: string, jobName: string): string {
  const arn = parseArn(datasetArn);
  if (!arn) throw new Error(`Not an ARN: ${datasetArn}`);
  return withResource(arn, `dataset-export-job/${jobName}`);
}

/** One export of one run: where it writes and, for Personalize, under which job name. */
export function toExportTask(
  spec: ExportSpec,
  run: Pick<RunContext, 'startTime' | 'executionName' | 'executionArn'>,
): ExportTask {
  const outputS3Path = runOutputPath(spec.outputS3Prefix, run.startTime, run.executionName);
  return spec.type === 'glue'
    ? { ...spec, outputS3Path }
    : { ...spec, outputS3Path, jobName: personalizeJobName(run, spec.name) };
}
