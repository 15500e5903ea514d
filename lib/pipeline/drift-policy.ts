/**
 * What `verify --check` may do in a target account, as an IAM session policy: the drift watches of both routes pass it
 * when they assume a role, so the session can only read whatever the role itself allows (a session policy narrows a
 * role, never widens it). The verify role also allows verify's two writes (the trigger and the permission); the
 * drift watch's sessions do not get them.
 */
export const VERIFY_CHECK_ACTIONS: readonly string[] = [
  'cloudformation:DescribeStacks',
  'cloudformation:DescribeStackResources',
  'lambda:GetFunctionConfiguration',
  'lambda:GetPolicy',
  's3:GetBucketNotification',
  'logs:FilterLogEvents',
  'cloudwatch:DescribeAlarms',
  // The failed-events check (config `failedEvents`): the function's on-failure destination and its queue's depth.
  'lambda:GetFunctionEventInvokeConfig',
  'sqs:GetQueueUrl',
  'sqs:GetQueueAttributes',
  // The SNS route (stacks with `snsNotificationArn`): the topic's policy and whether the function is subscribed.
  'sns:GetTopicAttributes',
  'sns:ListSubscriptionsByTopic',
];

/**
 * The session policy as compact JSON (no single quote, so it can stand in single quotes in a shell line).
 * `alsoAssume`: the session may assume further roles (GitHub with `deployOidcRole` assumes the verify role from it).
 */
export function readOnlySessionPolicy(alsoAssume = false): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [...VERIFY_CHECK_ACTIONS, ...(alsoAssume ? ['sts:AssumeRole'] : [])],
        Resource: '*',
      },
    ],
  });
}
