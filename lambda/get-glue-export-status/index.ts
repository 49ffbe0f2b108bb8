/**
 * Checks a label export task run (GetMLTaskRun) and decides the next wait, or the export's outcome. A task
 * run found stopped that the clean-up of a stopped run cancelled before the run was redriven is not this
 * attempt's outcome: the export goes back to its start task (RESTART), which starts a new one.
 */
import { GetMLTaskRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError } from '../shared/aws-errors';
import { isStoppedTaskRun, stoppedBeforeRedrive } from '../shared/glue-task-runs';
import { logger, withLambdaContext } from '../shared/logger';
import { describeRun } from '../shared/overlap';
import { recordCheck } from '../shared/schedule';
import { requireExport, requireTracking } from '../shared/task-state';
import type { ExportState, GlueJobRef } from '../shared/types';
import { cancelTimedOutTaskRun } from './cancel';
import { observeGlueTaskRun } from './status';

const glue = new GlueClient(CLIENT_CONFIG);

export const handler = withLambdaContext(async (state: ExportState): Promise<ExportState> => {
  const task = requireExport(state, 'glue');
  const tracking = requireTracking<GlueJobRef>(state, 'taskRunId');
  const { taskRunId } = tracking.job;
  const run = await glue
    .send(new GetMLTaskRunCommand({ TransformId: task.transformId, TaskRunId: taskRunId }))
    .catch((err: unknown) => {
      throw classifyAwsError(err, 'Glue GetMLTaskRun', `transform ${task.transformId} task run ${taskRunId}`);
    });
  if (isStoppedTaskRun(run) && stoppedBeforeRedrive(run, await describeRun(state.run.executionArn))) {
    logger.info('The task run was stopped before the run was redriven: starting a new one', {
      exportName: task.name,
      taskRunId,
      status: run.Status,
    });
    return { ...state, tracking: { ...tracking, outcome: 'RESTART', serviceStatus: run.Status } };
  }
  let next = recordCheck(tracking, observeGlueTaskRun(run), Date.now(), state.run.polling);
  // A task run past the export's time limit would go on using DPU hours: stop it.
  if (next.outcome === 'TIMED_OUT') {
    next = { ...next, ...(await cancelTimedOutTaskRun(glue, task.transformId, taskRunId, task.name)) };
  }
  logger.info('Checked label export task run', {
    exportName: task.name,
    taskRunId,
    status: next.serviceStatus,
    outcome: next.outcome,
    polls: next.polls,
    nextWaitSeconds: next.waitSeconds,
  });
  return { ...state, tracking: next };
});
