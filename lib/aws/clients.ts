import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromIni } from '@aws-sdk/credential-providers';
import { AdaptiveRetryStrategy, DefaultRateLimiter } from '@smithy/core/retry';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  FinalizeRequestMiddleware,
  MiddlewareStack,
} from '@smithy/types';

/** Options shared by every AWS client the tool makes. */
export interface ClientFactoryOptions {
  /**
   * Send every client to this endpoint (moto, LocalStack, a VPC endpoint). S3 then uses path-style addressing.
   * @default - `AWS_ENDPOINT_URL` when set by the caller, else the real AWS endpoints
   */
  readonly endpoint?: string;
  /**
   * Named profile from the shared config files.
   * @default - the SDK's default credential chain (env, SSO, profile from AWS_PROFILE, instance role, ...)
   */
  readonly profile?: string;
  /**
   * Explicit credentials; tests use these.
   * @default - the default credential chain or `profile`
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Attempts per request, with the SDK's adaptive backoff on throttling and 5xx.
   * Sized for many stacks in many regions hitting the same account's limits at once.
   * @default 8
   */
  readonly maxAttempts?: number;
  /**
   * The lowest send rate, in requests per second per client, that the adaptive retry mode slows down to after
   * throttling. Tests raise it so that a throttling scenario retries as in production but does not crawl at the
   * SDK's floor of one request every two seconds.
   * @default - the SDK's own (DefaultRateLimiter: 0.5)
   */
  readonly adaptiveMinRate?: number;
  /**
   * Called once per HTTP request sent (retries included), to count requests in benchmarks and tests.
   * @default - nothing is counted
   */
  readonly onRequest?: (info: {
    readonly service: string;
    readonly operation: string;
    readonly region: string;
  }) => void;
}

type AnyClient =
  | S3Client
  | CloudFormationClient
  | LambdaClient
  | CloudWatchLogsClient
  | EC2Client
  | OrganizationsClient
  | CloudWatchClient
  | SecretsManagerClient
  | SNSClient
  | SQSClient;

/**
 * The one place AWS SDK clients are made. Operations take clients from here (or a mock) and never
 * construct their own, so tests can aim everything at moto or at `aws-sdk-client-mock`.
 * Clients are cached per service and region.
 */
export class AwsClientFactory {
  private readonly cache = new Map<string, AnyClient>();

  constructor(private readonly options: ClientFactoryOptions = {}) {}

  /** The endpoint override in force, if any. */
  get endpoint(): string | undefined {
    return this.options.endpoint;
  }

  s3(region: string): S3Client {
    return this.get('s3', region, (c) => new S3Client({ ...c, forcePathStyle: this.options.endpoint !== undefined }));
  }

  cloudFormation(region: string): CloudFormationClient {
    return this.get('cloudformation', region, (c) => new CloudFormationClient(c));
  }

  lambda(region: string): LambdaClient {
    return this.get('lambda', region, (c) => new LambdaClient(c));
  }

  logs(region: string): CloudWatchLogsClient {
    return this.get('logs', region, (c) => new CloudWatchLogsClient(c));
  }

  cloudWatch(region: string): CloudWatchClient {
    return this.get('cloudwatch', region, (c) => new CloudWatchClient(c));
  }

  ec2(region: string): EC2Client {
    return this.get('ec2', region, (c) => new EC2Client(c));
  }

  organizations(region: string): OrganizationsClient {
    return this.get('organizations', region, (c) => new OrganizationsClient(c));
  }

  /** The credential provider the clients of `region` use (resolving it makes no request, or one AssumeRole). */
  credentialsOf(region: string): AwsCredentialIdentityProvider {
    return this.s3(region).config.credentials;
  }

  secretsManager(region: string): SecretsManagerClient {
    return this.get('secretsmanager', region, (c) => new SecretsManagerClient(c));
  }

  sns(region: string): SNSClient {
    return this.get('sns', region, (c) => new SNSClient(c));
  }

  sqs(region: string): SQSClient {
    return this.get('sqs', region, (c) => new SQSClient(c));
  }

  /** Closes every client's sockets so a CLI exits promptly. */
  destroy(): void {
    for (const client of this.cache.values()) client.destroy();
    this.cache.clear();
  }

  private get<T extends AnyClient>(service: string, region: string, make: (config: BaseConfig) => T): T {
    const key = `${service}:${region}`;
    const existing = this.cache.get(key);
    if (existing) return existing as T;
    const client = make(this.baseConfig(region));
    if (this.options.onRequest) {
      const counter = requestCounter(service, region, this.options.onRequest);
      // The stacks of the five clients are typed per service; the counter is service-agnostic.
      (client.middlewareStack as unknown as MiddlewareStack<object, object>).add(
        counter,
        // finalizeRequest runs once per attempt, so retries are counted as the requests they are.
        { step: 'finalizeRequest', name: 'taegisRequestCounter', priority: 'low' },
      );
    }
    this.cache.set(key, client);
    return client;
  }

  private baseConfig(region: string): BaseConfig {
    const { endpoint, profile, credentials, maxAttempts = 8, adaptiveMinRate } = this.options;
    return {
      region,
      maxAttempts,
      retryMode: 'adaptive',
      // The same adaptive strategy the SDK builds for retryMode "adaptive", with a raised floor; one per client.
      ...(adaptiveMinRate !== undefined
        ? {
            retryStrategy: new AdaptiveRetryStrategy(maxAttempts, {
              maxAttempts,
              rateLimiter: new DefaultRateLimiter({ minFillRate: adaptiveMinRate, minCapacity: adaptiveMinRate }),
            }),
          }
        : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : profile ? { credentials: fromIni({ profile }) } : {}),
    };
  }
}

/** Middleware calling `onRequest` once per HTTP request sent (retries included). */
export function requestCounter(
  service: string,
  region: string,
  onRequest: NonNullable<ClientFactoryOptions['onRequest']>,
): FinalizeRequestMiddleware<object, object> {
  return (next, context) => async (args) => {
    onRequest({ service, operation: String(context.commandName ?? 'unknown'), region });
    return next(args);
  };
}

interface BaseConfig {
  region: string;
  maxAttempts: number;
  retryMode: string;
  retryStrategy?: AdaptiveRetryStrategy;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}
