import { awsErrorName, classifyAwsError, isTransientAwsError } from '../../../lambda/shared/aws-errors';

const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} text`), { name, ...extra });

describe('classifyAwsError', () => {
  it.each([
    'ThrottlingException',
    'InternalServiceException',
    'OperationTimeoutException',
    'LimitExceededException',
    'ResourceInUseException',
  ])('treats %s as transient', (name) => {
    const err = classifyAwsError(sdkError(name), 'Glue GetMLTaskRun', 'transform t');
    expect(err.name).toBe('TransientServiceError');
    expect(err.message).toBe(`Glue GetMLTaskRun for transform t failed: ${name}: ${name} text`);
  });

  it.each([
    'EntityNotFoundException',
    'InvalidInputException',
    'AccessDeniedException',
    'ResourceNotFoundException',
    'TooManyTagsException',
  ])('treats %s as permanent', (name) => {
    expect(classifyAwsError(sdkError(name, { $fault: 'client' }), 'call', 'r').name).toBe(
      'PermanentServiceError',
    );
  });

  it('treats server faults, 5xx, 429 and network errors as transient', () => {
    expect(isTransientAwsError(sdkError('Whatever', { $fault: 'server' }))).toBe(true);
    expect(isTransientAwsError(sdkError('Whatever', { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransientAwsError(sdkError('Whatever', { $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      true,
    );
    expect(awsErrorName(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
  });

  it('treats unknown client errors as permanent', () => {
    expect(
      isTransientAwsError(sdkError('SomethingNew', { $fault: 'client', $metadata: { httpStatusCode: 400 } })),
    ).toBe(false);
  });
});
