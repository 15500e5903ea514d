/** Construct id (and CloudFormation stack name) of a target's monitoring stack. */
export const monitoringStackId = (region: string): string => `TaegisMonitoring-${region}`;

/** The log group Lambda writes a function's logs to. */
export const functionLogGroup = (functionName: string): string => `/aws/lambda/${functionName}`;

/** Every alarm of one function starts with this, so `verify` finds them with one DescribeAlarms call. */
export const alarmPrefix = (functionName: string): string => `taegis-migrate-${functionName}-`;

export const ALARM_SUFFIXES = { silence: 'uploads-silent', errors: 'errors', throttles: 'throttles' } as const;

/** Namespace of the metric filters' metrics. */
export const METRIC_NAMESPACE = 'TaegisMigrate';
export const UPLOADS_METRIC = 'UploadsToS3';
export const ERROR_LINES_METRIC = 'ErrorLines';
