/** Injected faults: the next calls of an operation answered with an error instead of (or after) handling. */
import { ServiceError } from './service-error';

/** Errors to return instead of handling a call: the next `count` calls of `operation` fail with `error`. */
export interface FaultRule {
  readonly operation: string;
  readonly error:
    'ThrottlingException' | 'InternalServiceException' | 'ServiceUnavailable' | 'LimitExceededException';
  readonly count: number;
  /** Handle the call (the job is created) but fail the response, as when a response is lost. */
  readonly afterEffect?: boolean;
}

/** The faults still to inject, rule by rule, in the order given. */
export class Faults {
  private readonly slots: { rule: FaultRule; left: number }[];

  constructor(rules: readonly FaultRule[] = []) {
    this.slots = rules.map((rule) => ({ rule, left: rule.count }));
  }

  /** The rule that applies to this call of `operation`, counted as used; undefined when none is left. */
  take(operation: string): FaultRule | undefined {
    const slot = this.slots.find((f) => f.rule.operation === operation && f.left > 0);
    if (!slot) return undefined;
    slot.left--;
    return slot.rule;
  }
}

/** The modeled error a fault answers with. */
export function faultError(rule: FaultRule): ServiceError {
  switch (rule.error) {
    case 'ThrottlingException':
      return new ServiceError('ThrottlingException', 'Rate exceeded');
    case 'LimitExceededException':
      return new ServiceError('LimitExceededException', 'Request rate exceeded');
    case 'ServiceUnavailable':
      return new ServiceError('ServiceUnavailable', 'Service unavailable', 503);
    default:
      return new ServiceError('InternalServiceException', 'Internal service error', 500);
  }
}
