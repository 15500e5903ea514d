export { functionLogGroup } from '../facts/taegis.js';

/** Every alarm of one function starts with this, so `verify` finds them with one DescribeAlarms call. */
export const alarmPrefix = (functionName: string): string => `taegis-migrate-${functionName}-`;

export const ALARM_SUFFIXES = { silence: 'uploads-silent', errors: 'errors', throttles: 'throttles' } as const;

/** Namespace of the metric filters' metrics. */
export const METRIC_NAMESPACE = 'TaegisMigrate';
export const UPLOADS_METRIC = 'UploadsToS3';
export const ERROR_LINES_METRIC = 'ErrorLines';
