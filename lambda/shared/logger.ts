/** The one structured logger every handler shares (JSON lines with the request id and cold-start flag). */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ml-exports' });
