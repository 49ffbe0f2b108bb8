/**
 * Step Functions, as Prepare Run asks it about other runs: ListExecutions and DescribeExecution of the
 * state machine, listing the execution being run and the world's other running executions.
 */
import type { JsonOperation } from './server';
import { requireString, ServiceError } from './service-error';
import type { SelfExecution, World } from './world';

export class StepFunctionsStandIn {
  constructor(
    private readonly world: World,
    private readonly self?: SelfExecution,
  ) {}

  /** The awsJson operations, by X-Amz-Target. */
  operations(): [string, JsonOperation][] {
    return [
      ['AWSStepFunctions.ListExecutions', (input) => this.listExecutions(input)],
      ['AWSStepFunctions.DescribeExecution', (input) => this.describeExecution(input)],
    ];
  }

  private executions() {
    const self = this.self;
    if (!self) return [];
    const others = (this.world.runningExecutions ?? []).map((e) => ({
      name: e.name,
      input: e.input,
      startMs: self.startMs - e.startedSecondsAgo * 1000,
    }));
    return [{ name: self.name, input: self.input, startMs: self.startMs }, ...others].map((e) => ({
      ...e,
      executionArn: `${self.stateMachineArn.replace(':stateMachine:', ':execution:')}:${e.name}`,
      stateMachineArn: self.stateMachineArn,
    }));
  }

  private listExecutions(input: Record<string, unknown>) {
    const arn = requireString(input, 'stateMachineArn', 1, 256, 'InvalidArn');
    if (arn !== this.self?.stateMachineArn)
      throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    if (input.statusFilter !== undefined && input.statusFilter !== 'RUNNING') return { executions: [] };
    return {
      executions: this.executions().map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: 'RUNNING',
        startDate: e.startMs / 1000,
      })),
    };
  }

  private describeExecution(input: Record<string, unknown>) {
    const arn = requireString(input, 'executionArn', 1, 256, 'InvalidArn');
    const e = this.executions().find((x) => x.executionArn === arn);
    if (!e) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: 'RUNNING',
      startDate: e.startMs / 1000,
      input: JSON.stringify(e.input),
    };
  }
}
