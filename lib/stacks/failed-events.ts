import { Duration, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import type { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResolvedFailedEvents } from '../config/failed-events.js';
import { failedEventsQueueName } from '../monitoring/failed-events.js';

export interface FailedEventsProps {
  /** The vendor's function (from the included template); only referenced, never changed. */
  readonly fn: CfnResource;
  /** The included vendor template the function comes from. */
  readonly include: CfnInclude;
  /** The Lambda stack's CloudFormation name (the queue is named after it). */
  readonly stackName: string;
  readonly settings: ResolvedFailedEvents;
}

/**
 * The function's on-failure destination for asynchronous invocations (S3 invokes it so): an SSE-encrypted, TLS-only
 * queue that keeps what Lambda gave up on for `retentionDays`, a queue policy that lets only the function's execution
 * role send (Lambda delivers destination records with that role), and the function's EventInvokeConfig naming the
 * queue. All new resources beside the vendor's: the vendor's resources and logical IDs stay as they are.
 */
export class FailedEventsDestination extends Construct {
  public readonly queue: sqs.Queue;
  public readonly invokeConfig: lambda.CfnEventInvokeConfig;

  constructor(scope: Construct, id: string, props: FailedEventsProps) {
    super(scope, id);
    const fn = props.fn as lambda.CfnFunction;
    const roleArn = executionRoleArn(props.include, fn);
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: failedEventsQueueName(props.stackName),
      retentionPeriod: Duration.days(props.settings.retentionDays),
      // SQS-managed keys: the function's role needs no KMS grant to deliver, and nothing else reads the queue.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    // Lambda sends a destination record with the function's execution role: only that role may send here.
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheFunctionSends',
        principals: [new iam.ArnPrincipal(roleArn)],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NoOtherSender',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': roleArn } },
      }),
    );
    this.invokeConfig = new lambda.CfnEventInvokeConfig(this, 'InvokeConfig', {
      functionName: fn.ref,
      qualifier: '$LATEST',
      destinationConfig: { onFailure: { destination: this.queue.queueArn } },
      // Left out, Lambda keeps its defaults (2 retries, six hours).
      ...(props.settings.maxRetryAttempts !== undefined
        ? { maximumRetryAttempts: props.settings.maxRetryAttempts }
        : {}),
      ...(props.settings.maxEventAgeSeconds !== undefined
        ? { maximumEventAgeInSeconds: props.settings.maxEventAgeSeconds }
        : {}),
    });
    // The first failure must find the send permission in place.
    const policy = this.queue.node.tryFindChild('Policy');
    if (policy !== undefined) this.invokeConfig.node.addDependency(policy);
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "this queue is itself the dead-letter store: the function's on-failure destination for the events Lambda gave up on",
    });
  }
}

/**
 * The function's execution role ARN as a reference of our own: the vendor's YAML writes `!GetAtt Role.Arn`, which
 * CfnInclude keeps in the string form that moto's CloudFormation misreads (see moto-notes.md); a fresh `getAtt` on the
 * included role gives the list form. A role passed in any other way (a parameter, a literal ARN) is used as written.
 */
function executionRoleArn(include: CfnInclude, fn: lambda.CfnFunction): string {
  const resolved: unknown = Stack.of(include).resolve(fn.role);
  const getAtt = (resolved as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  const [id, attr] =
    typeof getAtt === 'string' ? getAtt.split('.') : Array.isArray(getAtt) ? (getAtt as unknown[]) : [];
  if (typeof id === 'string' && attr === 'Arn') return include.getResource(id).getAtt('Arn').toString();
  return fn.role;
}
