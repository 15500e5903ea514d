import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClientFactory, type ClientFactoryOptions } from '../../lib/aws/clients.js';
import { startProxy, type SeenRequest } from './aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS } from './moto.js';

/** Member accounts the multi-account tests use (moto acts in any account a role ARN names). */
export const MEMBER_A = '222222222222';
export const MEMBER_B = '333333333333';

/**
 * Clients acting in `account` on moto, for seeding: a plain STS AssumeRole with the default moto credentials
 * (independent of the code under test). The default account gets the moto credentials themselves.
 */
export async function clientsIn(
  endpoint: string,
  account: string,
  options: Omit<ClientFactoryOptions, 'endpoint' | 'credentials'> = {},
): Promise<AwsClientFactory> {
  if (account === MOTO_ACCOUNT) {
    return new AwsClientFactory({ ...options, endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 3 });
  }
  const sts = new STSClient({ region: 'us-east-1', endpoint, credentials: MOTO_CREDENTIALS });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/seed`, RoleSessionName: 'test-seed' }),
  );
  sts.destroy();
  return new AwsClientFactory({
    ...options,
    endpoint,
    maxAttempts: 3,
    credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! },
  });
}

/** The access key id a request was signed with (SigV4 `Credential=AKID/...`). */
export function accessKeyOf(req: SeenRequest): string | undefined {
  return /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

/** An STS error answer in the query protocol's shape, so the SDK sees the real error. */
export function stsAccessDenied(roleArn: string): { status: number; headers: Record<string, string>; body: string } {
  return {
    status: 403,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>x</RequestId></ErrorResponse>`,
  };
}

/** The form parameter of an STS query request (`Action`, `RoleArn`), or undefined. */
export function stsParam(req: SeenRequest, name: string): string | undefined {
  if (req.service !== 'sts') return undefined;
  return new URLSearchParams(req.body.toString('utf8')).get(name) ?? undefined;
}

/**
 * A proxy in front of moto for the multi-account tests: it refuses AssumeRole into `denied` (moto never refuses) and
 * records in `keyAccount` which account each access key acts in, from the AssumeRole answers it forwards.
 */
export function accountsProxy(
  motoEndpoint: string,
  options: {
    /** The account to refuse; a function when it is known only later (an organization made in a hook). */
    readonly denied?: string | (() => string | undefined);
    readonly keyAccount: Map<string, string>;
  },
): ReturnType<typeof startProxy> {
  options.keyAccount.set(MOTO_CREDENTIALS.accessKeyId, MOTO_ACCOUNT);
  return startProxy(motoEndpoint, {
    before: (req) => {
      const roleArn = stsParam(req, 'RoleArn');
      const denied = typeof options.denied === 'function' ? options.denied() : options.denied;
      return denied !== undefined && roleArn?.includes(`::${denied}:`) ? stsAccessDenied(roleArn) : undefined;
    },
    after: (req, _status, body) => {
      const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(body.toString('utf8'))?.[1];
      const account = stsParam(req, 'RoleArn')?.split(':')[4];
      if (key && account) options.keyAccount.set(key, account);
      return undefined;
    },
  });
}
