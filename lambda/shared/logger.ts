/** The one structured logger every handler shares: JSON lines with the request id and cold-start flag. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ml-exports' });

type LambdaContext = Parameters<Logger['addContext']>[0];

/** Wraps a handler so that every log line of the invocation carries the Lambda context. */
export function withLambdaContext<E, R>(
  handler: (event: E) => Promise<R>,
): (event: E, context?: LambdaContext) => Promise<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    return handler(event);
  };
}
